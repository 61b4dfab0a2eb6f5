import subprocess
import sys


def test_core_imports_no_envs_controllers_training_or_pybullet():
    code = (
        "import sys, mpcnet, mpcnet.rollout, mpcnet.nn.torch_models, mpcnet.artifacts\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pybullet', 'pybullet_utils', 'envs', 'controllers', 'training'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
