"""Write ``registry-v1.44.0.json``: every attribute of the OpenTelemetry semantic-conventions registry.

Run by hand, never by the tests (which read only the JSON this writes, checked in beside it)::

    python3 tests/semconv/generate_registry.py [--mirror GIT_DIR] [--tag v1.44.0] [--output PATH]

It needs ``git`` and PyYAML (``python3 -m pip install --user pyyaml``); nothing else of the project.

What it reads, all at the one tag, from the mirror's git objects (no work tree, no network):

- every ``model/**/registry*.yaml`` (the ``deprecated/`` files included), in both formats of the
  model: ``groups`` of type ``attribute_group`` with ids ``registry.*`` (attributes by ``id``), and
  ``file_format: definition/2`` (top-level ``attributes`` by ``key``: ``client.*``, ``server.*``,
  ``source.*``, ``destination.*`` at v1.44.0). The other model files are read too, for registry
  groups kept elsewhere (at v1.44.0 ``model/peer/deprecated.yaml``, the entry of ``peer.service``)
  and to fail if any attribute is defined outside the registry;
- ``docs/non-normative/http-migration.md``: the ``old → new`` attribute renames of the HTTP
  migration guide, the names ``OTEL_SEMCONV_STABILITY_OPT_IN`` keeps in its legacy and ``http/dup``
  modes.

Per attribute id it records ``type`` (``string``, ``int``, ``double``, ``boolean``, the ``[]``
arrays, ``template[...]`` for ``prefix.<key>`` attributes, or ``enum``), ``stability``,
``deprecated`` (with its ``reason`` and ``renamed_to``, if any) and the file that defines it. An
enum also has ``value_type`` (the type of its members' values), its ``members`` (value, stability,
whether deprecated) and ``open``: whether values other than the members are allowed. At v1.44.0 the
model has no field for that: the older ``allow_custom_values`` is gone, and every enum of the
registry is documented as "well-known values. If one of them applies, then the respective value
MUST be used; otherwise, a custom value MAY be used." (``templates/registry/markdown/enum_macros.j2``).
So ``open`` is ``allow_custom_values`` where a file still has it, else true.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any

TAG = "v1.44.0"
MIRROR = Path("/work/.mirror/open-telemetry+semantic-conventions/repo")
UPSTREAM = "https://github.com/open-telemetry/semantic-conventions"
HERE = Path(__file__).resolve().parent
MIGRATION_GUIDE = "docs/non-normative/http-migration.md"
ENUM_TEMPLATE = "templates/registry/markdown/enum_macros.j2"

# `old` → `new` (or &rarr;) between backticks, both dotted attribute-like names; `old` → `a` and `b`: a split.
_NAME = r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+"
_RENAME = re.compile(rf"`({_NAME})`\s*(?:&rarr;|→)\s*`({_NAME})`(?:\s+and\s+`({_NAME})`)?")


class RegistryError(Exception):
    """The model is not what this script understands; the message names the file and attribute."""


def git(mirror: Path, *args: str) -> str:
    """The output of ``git --git-dir=MIRROR ARGS``."""
    result = subprocess.run(
        ["git", f"--git-dir={mirror}", *args], capture_output=True, text=True, check=True, encoding="utf-8"
    )
    return result.stdout


def load_yaml(text: str) -> Any:
    # PyYAML ships no type information and is not a dependency of the project: imported by name,
    # so that the type checker of the tests' tree needs neither the package nor its stubs.
    yaml = importlib.import_module("yaml")
    return yaml.safe_load(text)


def model_files(mirror: Path, tag: str) -> list[str]:
    """Every YAML file under ``model/``: the ``registry*.yaml`` ones and the others are all read."""
    names = git(mirror, "ls-tree", "-r", "--name-only", tag, "model/").splitlines()
    return sorted(name for name in names if PurePosixPath(name).suffix == ".yaml")


def show(mirror: Path, tag: str, name: str) -> str:
    return git(mirror, "show", f"{tag}:{name}")


def attribute_type(spec: dict[str, Any], where: str) -> dict[str, Any]:
    """``type`` and, for an enum, ``value_type``, ``open`` and ``members``."""
    kind = spec.get("type")
    if isinstance(kind, str):
        return {"type": kind}
    if not isinstance(kind, dict) or not isinstance(kind.get("members"), list):
        raise RegistryError(f"{where}: unknown type {kind!r}")
    members = []
    value_types = set()
    for member in kind["members"]:
        value = member["value"]
        value_types.add(
            "boolean" if isinstance(value, bool) else "int" if isinstance(value, int) else type(value).__name__
        )
        members.append(
            {
                "value": value,
                "stability": member.get("stability"),
                "deprecated": member.get("deprecated") is not None,
            }
        )
    names = {"str": "string", "float": "double"}
    value_type = sorted(names.get(name, name) for name in value_types)
    if len(value_type) != 1:
        raise RegistryError(f"{where}: enum members of several types {value_type}")
    return {
        "type": "enum",
        "value_type": value_type[0],
        "open": bool(kind.get("allow_custom_values", True)),
        "members": members,
    }


def deprecation(spec: dict[str, Any]) -> dict[str, Any] | None:
    deprecated = spec.get("deprecated")
    if deprecated is None:
        return None
    if isinstance(deprecated, str):  # the old form: a free-text note
        return {"reason": "uncategorized", "renamed_to": None, "note": deprecated.strip()}
    return {"reason": deprecated.get("reason"), "renamed_to": deprecated.get("renamed_to")}


def definitions(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The attribute definitions of one model file, in either of the two formats of the model.

    ``groups`` (the first format): the attributes with an ``id`` of the ``registry.*`` groups (other
    groups only ``ref`` them). ``file_format: definition/2``: the top-level ``attributes``, by ``key``.
    """
    found = [
        {**spec, "id": spec["id"]}
        for group in document.get("groups", [])
        if str(group.get("id", "")).startswith("registry.")
        for spec in group.get("attributes", [])
        if "id" in spec
    ]
    found += [{**spec, "id": spec["key"]} for spec in document.get("attributes", []) if "key" in spec]
    return found


def stray_definitions(document: dict[str, Any]) -> list[str]:
    """Attributes defined outside the registry (none at v1.44.0): the script would miss them."""
    return [
        f"{group.get('id')}: {spec['id']}"
        for group in document.get("groups", [])
        if not str(group.get("id", "")).startswith("registry.")
        for spec in group.get("attributes", [])
        if "id" in spec
    ] + [
        f"{group.get('id')}: {spec['key']}"
        for group in document.get("attribute_groups", [])
        for spec in group.get("attributes", [])
        if "key" in spec
    ]


def read_registry(mirror: Path, tag: str, files: list[str]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Every attribute by id, and the files that define them (every ``registry*.yaml`` among them)."""
    attributes: dict[str, dict[str, Any]] = {}
    defining = []
    for name in files:
        document = load_yaml(show(mirror, tag, name)) or {}
        if stray := stray_definitions(document):
            raise RegistryError(f"{name}: attributes defined outside the registry: {stray}")
        specs = definitions(document)
        if specs or PurePosixPath(name).name.startswith("registry"):
            defining.append(name)
        for spec in specs:
            key = spec["id"]
            where = f"{name}: {key}"
            entry = {
                **attribute_type(spec, where),
                "stability": spec.get("stability"),
                "deprecated": deprecation(spec),
                "file": name,
            }
            if key in attributes:
                raise RegistryError(f"{where}: defined twice (also in {attributes[key]['file']})")
            attributes[key] = entry
    return dict(sorted(attributes.items())), defining


def migration_renames(mirror: Path, tag: str, attributes: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """The guide's ``old → new`` pairs whose new name is a registry attribute (not a metric or a unit)."""
    renames: dict[str, list[str]] = {}
    for old, *new_names in _RENAME.findall(show(mirror, tag, MIGRATION_GUIDE)):
        for new in new_names:
            if new in attributes and new not in renames.setdefault(old, []):
                renames[old].append(new)
    return dict(sorted(renames.items()))


def check_enums_are_documented_open(mirror: Path, tag: str) -> None:
    """Fail loudly if the docs template stops saying that custom values are allowed."""
    if "otherwise, a custom value MAY be used" not in show(mirror, tag, ENUM_TEMPLATE):
        raise RegistryError(f"{ENUM_TEMPLATE} no longer documents enums as open; revisit the 'open' rule")


def generate(mirror: Path, tag: str) -> dict[str, Any]:
    commit = git(mirror, "rev-parse", f"{tag}^{{commit}}").strip()
    check_enums_are_documented_open(mirror, tag)
    attributes, files = read_registry(mirror, tag, model_files(mirror, tag))
    return {
        "tag": tag,
        "commit": commit,
        "source": UPSTREAM,
        "generator": "tests/semconv/generate_registry.py",
        "enums_open_rule": (
            "open = the enum's allow_custom_values if present, else true: at this tag every enum is documented "
            f"as well-known values where 'a custom value MAY be used' ({ENUM_TEMPLATE})"
        ),
        "files": files,
        "http_migration_renames": {"file": MIGRATION_GUIDE, "renames": migration_renames(mirror, tag, attributes)},
        "attributes": attributes,
    }


def render(registry: dict[str, Any]) -> str:
    """The JSON text: the header fields first, one line each, then one line per attribute (small diffs)."""

    def line(key: str, value: object) -> str:
        return f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}"

    header = [" " + line(key, value) + "," for key, value in registry.items() if key != "attributes"]
    attributes = ["  " + line(key, value) for key, value in registry["attributes"].items()]
    return "\n".join(["{", *header, ' "attributes": {', ",\n".join(attributes), " }", "}"]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mirror", type=Path, default=MIRROR, help="the semantic-conventions git dir")
    parser.add_argument("--tag", default=TAG)
    parser.add_argument("--output", type=Path, default=None, help="default: registry-<tag>.json beside this script")
    args = parser.parse_args(argv)
    output: Path = args.output or HERE / f"registry-{args.tag}.json"
    registry = generate(args.mirror, args.tag)
    output.write_text(render(registry), encoding="utf-8")
    print(f"{output}: {len(registry['attributes'])} attributes from {len(registry['files'])} files", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
