"""Stage configurations: one frozen dataclass per stage, validated on creation.

Field docstrings live in ``metadata["help"]`` and become the command-line help, so the CLI
and the Python API describe each option with the same words.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from mpcnet.errors import SEED_MAX, ConfigError, check_field_limits


def _help(text: str, low=None, high=None, **kw):
    """A field whose help text is the CLI help; ``low``/``high`` are enforced limits."""
    return field(metadata={"help": text, "min": low, "max": high}, **kw)


def _seed(text: str):
    return _help(text, low=0, high=SEED_MAX, default=0)


def parse_int_list(text: str, name: str, allow_zero: bool = False) -> tuple[int, ...]:
    """Parse ``"128,128"`` into ``(128, 128)``; raise ConfigError on anything else."""
    try:
        values = tuple(int(part) for part in str(text).split(","))
    except ValueError:
        values = ()
    low = 0 if allow_zero else 1
    if not values or any(v < low for v in values):
        kind = "non-negative" if allow_zero else "positive"
        raise ConfigError(
            f"{name}: expected comma-separated {kind} integers such as '64,32', got {text!r}."
        )
    return values


def _positive(cfg, *names: str) -> None:
    for name in names:
        value = getattr(cfg, name)
        if not value > 0:
            raise ConfigError(f"{name}: expected a positive number, got {value!r}.")


@dataclass(frozen=True)
class CollectConfig:
    env_id: str = _help("gymnasium id of the environment", default="mpcnet/Push-v2")
    episodes: int = _help("number of episodes to collect", high=1_000_000, default=200)
    steps: int = _help("control steps per episode (fewer if the episode ends)",
                       high=100_000, default=30)
    seed: int = _seed("random seed of resets and exploration")
    random_action_prob: float = _help(
        "probability of a uniformly random action instead of the contact-seeking push",
        default=0.15)
    retreat_prob: float | None = _help(
        "Push envs: probability that the explorer, after a push, walks the pusher away from "
        "the object (4 to 12 steps) before its next approach, so the data show that an "
        "object the pusher is far from stays where it is; auto: 0.25 on Push(T)-v2 and the "
        "hard v1 variants (the push recipe), 0 elsewhere", default=None)
    num_objects: int = _help(
        "objects per episode in mpcnet/Sort-v0 (2 to 6); 0 keeps the env's default", default=0)
    max_step: float = _help(
        "Push envs: pusher step length in m (up to 0.1); 0 keeps the env's 0.03", default=0.0)
    task: str = _help("task file (TOML) or shipped task name (pendulum, mountain_car) for a "
                      "gymnasium env that is not an mpcnet env: cost, state box, success test, "
                      "exploration (see envs/task.py)", default="")

    def __post_init__(self) -> None:
        check_field_limits(self)
        _positive(self, "episodes", "steps")
        if self.num_objects and not 2 <= self.num_objects <= 6:
            raise ConfigError(f"num_objects: expected 0 (the env's default) or 2 to 6, got "
                              f"{self.num_objects}.")
        if not 0.0 <= self.max_step <= 0.1:
            raise ConfigError(f"max_step: expected 0 (the env's default) or a step length up "
                              f"to 0.1 m, got {self.max_step}.")
        for name, what in (("max_step", "have a step length"),
                           ("retreat_prob", "have an explorer that retreats")):
            value = getattr(self, name)
            if value and "Push" not in self.env_id:
                raise ConfigError(f"{name}: only the Push envs {what}, got "
                                  f"--{name.replace('_', '-')} {value} for {self.env_id}.")
        if self.num_objects and self.env_id != "mpcnet/Sort-v0":
            raise ConfigError(f"num_objects: only mpcnet/Sort-v0 has a number of objects, got "
                              f"--num-objects {self.num_objects} for {self.env_id}.")
        for name in ("random_action_prob", "retreat_prob"):
            if getattr(self, name) is not None and not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"{name}: expected a value in [0, 1], got "
                                  f"{getattr(self, name)}.")

    def to_dict(self) -> dict:
        return asdict(self)


MODEL_KINDS = ("mlp", "gnn")
_SIZE_FIELDS = ("hidden", "relation_hidden", "object_hidden")


@dataclass(frozen=True)
class TrainConfig:
    model: str = _help("'mlp' (any env) or 'gnn' (object-centric graph network, for "
                       "mpcnet/Sort-v0 and mpcnet/Rope-v0)", default="mlp")
    hidden: tuple[int, ...] | None = _help(
        "MLP hidden layer sizes, comma-separated; auto: 256,256,256 on data of Push(T)-v2 and "
        "the hard v1 variants (the push recipe), else 128,128", high=16_384, default=None)
    relation_hidden: tuple[int, ...] = _help("GNN relation-network hidden sizes",
                                             high=16_384, default=(64, 64))
    object_hidden: tuple[int, ...] = _help("GNN object-network hidden sizes", high=16_384,
                                           default=(64,))
    effect_dim: int = _help("GNN effect vector size (relation output, summed per object)",
                            high=16_384, default=32)
    edges: str = _help("GNN edges: 'all' (every object hears every other and the pusher) or "
                       "'chain' (object i hears i-1, i+1 and the pusher: the rope's keypoints)",
                       default="all")
    epochs: int | None = _help(
        "passes over the training windows; auto: about 6,800 gradient steps' worth on data of "
        "Push(T)-v2 and the hard v1 variants (47 epochs of 2,000 episodes), else 150",
        high=100_000, default=None)
    max_steps: int = _help("also stop after this many gradient steps, at the end of an epoch "
                           "(0: no limit)", low=0, high=10**9, default=0)
    max_seconds: float = _help("also stop after this many seconds of training, at the end of "
                               "an epoch (0: no limit)", low=0.0, high=10**7, default=0.0)
    patience: int = _help("also stop when the validation rollout error has not improved for "
                          "this many epochs (0: never); the best weights are kept",
                          low=0, high=100_000, default=0)
    batch_size: int = _help("windows per gradient step", high=1_000_000, default=256)
    lr: float = _help("Adam learning rate", default=2e-3)
    rollout_horizon: int = _help(
        "length of the open-loop rollouts in the loss and the validation metric", high=1_000,
        default=10)
    rollout_weight: float = _help("weight of the multi-step loss next to the 1-step loss",
                                  default=1.0)
    val_fraction: float = _help("fraction of episodes held out for validation", default=0.1)
    frame: str = _help(
        "'world': the network predicts the whole state change; 'pusher': it sees the objects "
        "relative to the pusher and predicts their displacement, and the pusher moves by "
        "exactly its action (Push envs); 'auto': 'pusher' on Push data, else 'world'",
        default="auto")
    relative: bool | None = _help(
        "express object points relative to the pusher (translation-invariant, still linear); "
        "default: where the task has a pusher (the mpcnet/ envs)", default=None)
    augment: str = _help(
        "'rotate': train on randomly turned copies of every window (planar pushing looks the "
        "same from every direction; Push envs); 'none': the data as collected; 'auto': "
        "'rotate' on Push data with --model mlp, else 'none'", default="auto")
    seed: int = _seed("random seed of initialisation, split and batches")
    device: str = _help("'auto' (CUDA when present), 'cpu' or 'cuda'", default="auto")

    def __post_init__(self) -> None:
        if self.model not in MODEL_KINDS:
            raise ConfigError(f"model: expected 'mlp' or 'gnn', got {self.model!r}.")
        for name in _SIZE_FIELDS:
            value = getattr(self, name)
            if value is None:  # auto (training.recipes)
                continue
            if isinstance(value, str):
                value = parse_int_list(value, name)
            value = tuple(int(h) for h in value)
            if not value or min(value) <= 0:
                raise ConfigError(f"{name}: expected positive layer sizes, got {value}.")
            object.__setattr__(self, name, value)
        check_field_limits(self)
        _positive(self, "batch_size", "lr", "rollout_horizon", "effect_dim")
        if self.epochs is not None:
            _positive(self, "epochs")
        if self.rollout_weight < 0:
            raise ConfigError(f"rollout_weight: expected >= 0, got {self.rollout_weight}.")
        if not 0.0 < self.val_fraction < 1.0:
            raise ConfigError(f"val_fraction: expected a value in (0, 1), got {self.val_fraction}.")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"device: expected 'auto', 'cpu' or 'cuda', got {self.device!r}.")
        if self.frame not in ("auto", "world", "pusher"):
            raise ConfigError(f"frame: expected 'auto', 'world' or 'pusher', got "
                              f"{self.frame!r}.")
        if self.augment not in ("auto", "none", "rotate"):
            raise ConfigError(f"augment: expected 'auto', 'none' or 'rotate', got "
                              f"{self.augment!r}.")
        if self.edges not in ("all", "chain"):
            raise ConfigError(f"edges: expected 'all' or 'chain', got {self.edges!r}.")
        if self.edges != "all" and self.model != "gnn":
            raise ConfigError(f"edges: {self.edges!r} is for --model gnn; leave it out for "
                              f"--model {self.model}.")
        if self.frame == "pusher" and self.model != "mlp":
            raise ConfigError("frame: 'pusher' is for --model mlp (the graph model is "
                              "object-centric already); use --frame world.")

    def to_dict(self) -> dict:
        return asdict(self)


def config_fields(cls) -> list:
    """The dataclass fields of a stage config (for building the CLI)."""
    return list(fields(cls))


@dataclass(frozen=True)
class SparsifyConfig:
    relus: int = _help("ReLU budget K: the sparse model has at most K ReLU neurons", default=16)
    keep: int = _help(
        "neuron budget N: at most N hidden neurons survive (ReLU + identity); -1 for no limit",
        default=-1)
    relaxed_epochs: int | None = _help(
        "epochs of joint training of weights and relaxed choices while the budget falls; "
        "auto: 30 on data of Push(T)-v2 and the hard v1 variants (the push recipe), else 80",
        high=100_000, default=None)
    finetune_epochs: int | None = _help(
        "epochs of fine-tuning once the choice is hard; auto: 20 on data of Push(T)-v2 and "
        "the hard v1 variants, else 40", high=100_000, default=None)
    schedule: str = _help(
        "how the ReLU budget falls during the relaxed epochs: 'geometric' (every epoch, "
        "one choice made hard at the end) or 'staged' (held at --stages levels, each stage "
        "ending with a hard choice among the ReLUs that the next stage chooses within)",
        default="geometric")
    stages: int = _help("staged schedule: the number of budget levels, the last one K",
                        low=1, high=100, default=4)
    schedule_fraction: float = _help(
        "geometric schedule: fraction of the relaxed epochs over which the budget falls from "
        "dense to K", default=0.7)
    temperature_start: float = _help("softmax temperature of the choice at the start",
                                     default=1.0)
    temperature_end: float = _help("softmax temperature at the end of the relaxed phase",
                                   default=0.05)
    lr: float = _help("learning rate of the weights", default=1e-3)
    gate_lr: float = _help("learning rate of the choice logits", default=0.05)
    seed: int = _seed("random seed of batches and the baseline's fine-tuning")
    device: str = _help("'auto' (CUDA when present), 'cpu' or 'cuda'", default="auto")
    baseline: bool = _help(
        "also train and report the one-shot magnitude-pruning baseline (--no-baseline skips "
        "it: it costs about as much as the method itself)", default=True)
    distill: bool | None = _help(
        "train the sparse model on the dense model's rollouts instead of the data "
        "(distillation), so it learns the dense model's answer to actions the explorer never "
        "took; auto: on for the Push envs' data (on Push-v1 it lifted GD on 32 ReLUs from 0.53 "
        "to 0.68 success), off elsewhere", default=None)
    distill_random_actions: float = _help(
        "with --distill: the fraction of training windows whose actions are drawn uniformly "
        "in the data's action range", default=0.5)

    def __post_init__(self) -> None:
        check_field_limits(self)
        if not 0.0 <= self.distill_random_actions <= 1.0:
            raise ConfigError("distill_random_actions: expected a fraction in [0, 1], got "
                              f"{self.distill_random_actions}.")
        if self.relus < 0:
            raise ConfigError(f"relus: expected a ReLU budget >= 0, got {self.relus}.")
        if self.keep != -1 and self.keep < self.relus:
            raise ConfigError(
                f"keep: expected -1 (no limit) or a neuron budget >= relus ({self.relus}), "
                f"got {self.keep}."
            )
        _positive(self, "lr", "gate_lr", "temperature_start", "temperature_end")
        if self.relaxed_epochs is not None:
            _positive(self, "relaxed_epochs")
        if self.finetune_epochs is not None and self.finetune_epochs < 0:
            raise ConfigError(f"finetune_epochs: expected >= 0, got {self.finetune_epochs}.")
        if self.schedule not in ("geometric", "staged"):
            raise ConfigError(f"schedule: expected 'geometric' or 'staged', got "
                              f"{self.schedule!r}.")
        if not 0.0 < self.schedule_fraction <= 1.0:
            raise ConfigError(
                f"schedule_fraction: expected a value in (0, 1], got {self.schedule_fraction}."
            )
        if self.device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"device: expected 'auto', 'cpu' or 'cuda', got {self.device!r}.")

    def to_dict(self) -> dict:
        return asdict(self)
