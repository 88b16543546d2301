"""Every development task of lambda-otel-lite. Run through ./noxw, which finds Python 3.12/3.13.

Default sessions (``./noxw``): tests on 3.12 and 3.13, lowest (the unit and functional tests on the
declared dependency floors; about a minute), lint, typecheck, docs.
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "lowest", "lint", "typecheck", "docs"]
nox.options.error_on_missing_interpreters = True

PYTHONS = ["3.12", "3.13"]
PYPROJECT = nox.project.load_toml("pyproject.toml")


def _install(session: nox.Session, *groups: str, extras: str = "local") -> None:
    requirements: list[str] = []
    for group in groups:
        requirements += nox.project.dependency_groups(PYPROJECT, group)
    session.install("-e", f".[{extras}]" if extras else ".", *requirements)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The test suite with branch coverage (pass pytest arguments after --)."""
    _install(session, "test")
    session.run(
        "pytest", "--cov", "--cov-report=term", *session.posargs, env={"COVERAGE_FILE": f".coverage.{session.python}"}
    )


# The test tools released with each OpenTelemetry version (0.66b1 goes with 1.45): their own floors
# would lift opentelemetry-api above ours, so the lowest session takes whichever fits our floors.
_OTEL_RELEASE_TRAIN = ("opentelemetry-instrumentation",)

_VERSIONS = (
    "import importlib.metadata as m, json; "
    "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
)


def _installed(session: nox.Session) -> dict[str, str]:
    """Every distribution installed in the session's environment: canonical name -> version."""
    import json

    from packaging.utils import canonicalize_name

    output = session.run_install("python", "-c", _VERSIONS, silent=True)  # None when installs are skipped (-R)
    if not output:
        return {}
    return {canonicalize_name(name): version for name, version in json.loads(output.splitlines()[-1]).items()}


@nox.session(python="3.12", venv_backend="uv")
def lowest(session: nox.Session) -> None:
    """The unit and functional tests on the lowest versions pyproject.toml declares (uv: --resolution lowest-direct).

    Our dependencies and extras are installed at their lowest allowed versions, and each must be
    exactly its declared floor (a floor nothing can install, as opentelemetry-sdk>=1.27 beside
    otlp-stdout-span-exporter 0.16, fails here). The test tools are then installed around them
    without moving them (the packages below ours may move, as they would for a user of those tools).
    """
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    project = PYPROJECT["project"]
    extras = sorted(project["optional-dependencies"])
    declared = [Requirement(text) for text in project["dependencies"]]
    declared += [Requirement(text) for extra in extras for text in project["optional-dependencies"][extra]]
    session.install("--resolution=lowest-direct", "-e", f".[{','.join(extras)}]")
    ours = _installed(session)
    floors = {}
    for requirement in declared:
        name = canonicalize_name(requirement.name)
        (floor,) = [Version(spec.version) for spec in requirement.specifier if spec.operator == ">="]
        floors[name] = floor
        if ours and Version(ours[name]) != floor:
            session.error(f"{requirement} installs as {name} {ours[name]} at the lowest: raise the floor to it")
    pins = Path(session.create_tmp()) / "lowest-constraints.txt"
    pins.write_text("".join(f"{name}=={floor}\n" for name, floor in sorted(floors.items())))
    tools = []
    for text in nox.project.dependency_groups(PYPROJECT, "test"):
        requirement = Requirement(text)
        if requirement.name.startswith(_OTEL_RELEASE_TRAIN):
            requirement.specifier = type(requirement.specifier)()
        tools.append(str(requirement))
    session.install("-c", str(pins), *tools)
    moved = {name: ver for name, ver in _installed(session).items() if name in floors and Version(ver) != floors[name]}
    if moved:
        session.error(f"the test tools moved our dependencies off their floors: {moved}")
    session.log("lowest: " + ", ".join(f"{name} {ours.get(name, floor)}" for name, floor in sorted(floors.items())))
    session.run("pytest", "tests/unit", "tests/functional", *session.posargs)


@nox.session(python="3.12")
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.12")
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package, the tests and the examples."""
    _install(session, "test", "typecheck")
    session.run("mypy")


@nox.session(python="3.12")
def demo(session: nox.Session) -> None:
    """Run the decorated orders API in a local Lambda (async mode) and show its responses and spans."""
    _install(session)
    args = session.posargs or [
        "examples/orders_api/orders.py:handler",
        "--event",
        "examples/orders_api/event.json",
        "--mode",
        "async",
        "--times",
        "2",
        "--shutdown",
    ]
    session.run("lambda-otel-lite", "invoke", *args)


@nox.session(python="3.12", default=False)
def conformance(session: nox.Session) -> None:
    """The processing modes under AWS's Runtime Interface Emulator (from the aws-sam-cli wheel). Not in CI."""
    import platform
    import sys
    import zipfile
    from pathlib import Path

    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine().lower())
    if not sys.platform.startswith("linux") or arch is None:
        session.skip(f"the emulator is a Linux x86_64/arm64 binary; this is {sys.platform} {platform.machine()}")
    _install(session, "test")
    cache = Path(".nox") / "rie"
    binary = cache / f"aws-lambda-rie-{arch}"
    if not binary.exists():
        session.install("pip")
        wheels = cache / "wheels"
        try:
            session.run(
                "python", "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(wheels), "aws-sam-cli"
            )
        except nox.command.CommandFailed:
            session.skip("could not download the aws-sam-cli wheel that ships the emulator (no package registry?)")
        member = f"samcli/local/rapid/aws-lambda-rie-{arch}"
        for wheel in sorted(wheels.glob("aws_sam_cli-*.whl")):
            with zipfile.ZipFile(wheel) as archive:
                if member in archive.namelist():
                    binary.write_bytes(archive.read(member))
                    break
        else:
            session.skip(f"no aws-sam-cli wheel in {wheels} ships {member}")
        binary.chmod(0o755)
    session.run("pytest", "tests/conformance", *session.posargs, env={"LAMBDA_OTEL_LITE_RIE": str(binary.resolve())})


@nox.session(python="3.12", default=False)
def bench(session: nox.Session) -> None:
    """The field benchmark (benchmarks/field/run.py; arguments after --, e.g. -- --quick). Not in CI."""
    _install(session)
    session.install("uv")
    session.run("python", "benchmarks/field/run.py", *session.posargs)


MERMAID = "assets/javascripts/mermaid.min.js"
MERMAID_VERSION = "11.17.2"


def _bundle_mermaid(session: nox.Session) -> None:
    """Put mermaid into the site, so that its diagrams render with no network (from the npm registry, once)."""
    import shutil
    import tarfile
    import tempfile

    target = Path("docs", MERMAID)
    if target.is_file():
        return
    if shutil.which("npm") is None:
        session.error("the docs need npm (Node.js) to bundle mermaid for the diagrams")
    with tempfile.TemporaryDirectory() as folder:
        session.run(
            "npm", "pack", f"mermaid@{MERMAID_VERSION}", "--silent", "--pack-destination", folder, external=True
        )
        (archive,) = Path(folder).glob("mermaid-*.tgz")
        with tarfile.open(archive) as bundle:
            member = bundle.extractfile("package/dist/mermaid.min.js")
            if member is None:
                session.error(f"{archive.name} has no dist/mermaid.min.js")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(member.read())


@nox.session(python="3.12")
def docs(session: nox.Session) -> None:
    """Build the documentation site with mkdocs --strict, then check every internal link of the built site."""
    _install(session, "docs")
    _bundle_mermaid(session)
    session.run("mkdocs", "build", "--strict", "--site-dir", "site")
    page = Path("site/modes/index.html").read_text()
    if not Path("site", MERMAID).is_file() or MERMAID not in page:
        session.error(f"the built site does not ship {MERMAID}: its diagrams would need the network")
    # linkchecker run as root drops to `nobody`, who may not read a checkout under a private
    # directory (a clone in `mktemp -d`): serve the site on 127.0.0.1 instead of reading its files.
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory="site")
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:  # listening once constructed
        thread = threading.Thread(target=server.serve_forever, name="docs-server", daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
            session.run("linkchecker", "--no-status", "--no-warnings", url)
        finally:
            server.shutdown()
            thread.join(timeout=10)
