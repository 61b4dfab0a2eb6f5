"""The core names parameters, the command line names flags: this module translates.

Errors raised in ``mpcnet``, ``envs`` and ``controllers`` speak to a Python user, so they name
a parameter as ``name=VALUE`` (``relative=False``, ``frame='world'``, ``budget_ms=40``). The
``mpcnet`` command shows the same message with the flag that sets that parameter
(``--no-relative``, ``--frame world``, ``--budget-ms 40``). Only names that are an option of
the parser are translated; anything else (a solver's own parameter, ``MPCNET_THREADS=1``) is
left as written.
"""

from __future__ import annotations

import argparse
import re

# name=VALUE, where VALUE is quoted, or runs to a space, a comma, a semicolon, a colon, a
# closing parenthesis or a sentence's final full stop
_PARAM = re.compile(r"(?<![\w.$-])([a-z][a-z0-9_]*)="
                    r"(?:'([^']*)'|([^\s,;:)']*?)(?=[\s,;:)]|\.(?:\s|$)|$))")


def flag_names(parser: argparse.ArgumentParser) -> dict[str, str]:
    """``{dest: "--flag"}`` over the parser and all its sub-commands (the first long option of
    each; ``--x`` for a ``--x/--no-x`` pair)."""
    flags: dict[str, str] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                for dest, flag in flag_names(sub).items():
                    flags.setdefault(dest, flag)
            continue
        long = [o for o in action.option_strings if o.startswith("--")]
        if long and action.dest != "help":
            flags.setdefault(action.dest, long[0])
    return flags


def params_as_flags(message: str, flags: dict[str, str]) -> str:
    """``message`` with each ``name=VALUE`` of a known option written as its flag:
    ``name=True`` -> ``--name``, ``name=False`` -> ``--no-name``, ``name=V`` -> ``--name V``,
    a bare ``name=`` -> ``--name``."""
    def flag(match: re.Match) -> str:
        name, quoted, bare = match.groups()
        if name not in flags:
            return match.group(0)
        value = quoted if quoted is not None else bare
        if value == "True":
            return flags[name]
        if value == "False":
            return "--no-" + flags[name][2:]
        return f"{flags[name]} {value}" if value else flags[name]

    return _PARAM.sub(flag, message)
