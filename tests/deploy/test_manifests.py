"""deploy/ checked against the official schemas and against the code it deploys.

- Kubernetes manifests: the Kubernetes JSON schemas bundled by `kubernetes-validate` (strict: unknown fields fail),
  for the oldest release we support and the newest one bundled.
- deploy/compose.yaml: the Compose specification's schema (the copy vendored by `check-jsonschema`), then its
  structure: images or builds, dependencies, healthchecks, bind mounts, secrets only by reference.
- Cross-checks with the code: TTHC_* names exist in settings.py; probe, healthcheck and routing paths are routes
  the gateway serves; ports line up from containers to Services, Ingress, nginx, Rasa's endpoints and TTHC_RASA_URL;
  the Rasa and gateway commands carry the flags `make run` uses (scripts/); the Dockerfiles copy sources that exist,
  are not in .dockerignore, and hold every module the app imports; the migration and purge commands exist.

Nothing here builds an image or needs a cluster: all of it runs offline in a few seconds.
"""
from __future__ import annotations

import ast
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml

from settings import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "compose.yaml"
NGINX_CONF = DEPLOY / "nginx" / "nginx.conf"
RASA_ENDPOINTS = DEPLOY / "rasa" / "endpoints.yml"
SECRET_TEMPLATE = "secret.template.yaml"
OLDEST_KUBERNETES = "1.29.0"
NEW_SETTINGS = {"TTHC_REDIS_URL"}                 # being added to settings.py alongside deploy/
PLACEHOLDER = "CHANGE-ME"
INTERNAL_ROUTES = ("/webhook", "/metrics")          # Rasa's action calls and Prometheus: never public
GATEWAY_PORT, RASA_PORT = 8000, 5005
RUNTIME_UID = 10001


# ---------------------------------------------------------------------------------------------------- loading
def load_yaml_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


@cache
def kustomization() -> dict[str, Any]:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))


@cache
def k8s_objects() -> tuple[tuple[str, dict[str, Any]], ...]:
    """(file name, object) for every manifest in deploy/k8s, the Secret template included."""
    return tuple((path.name, doc) for path in sorted(K8S.glob("*.yaml")) if path.name != "kustomization.yaml"
                 for doc in load_yaml_documents(path))


def objects_of(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in k8s_objects() if doc["kind"] == kind]


def named(kind: str, name: str) -> dict[str, Any]:
    found = [doc for doc in objects_of(kind) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} named {name!r} in deploy/k8s, found {len(found)}"
    return found[0]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    if workload["kind"] == "CronJob":
        return workload["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return workload["spec"]["template"]["spec"]


def workloads() -> list[dict[str, Any]]:
    return objects_of("Deployment") + objects_of("CronJob") + objects_of("Job")


def containers(workload: dict[str, Any], init: bool = True) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    return (spec.get("initContainers", []) if init else []) + spec["containers"]


def container(deployment: str) -> dict[str, Any]:
    (main,) = named("Deployment", deployment)["spec"]["template"]["spec"]["containers"]
    return main


def full_command(c: dict[str, Any]) -> list[str]:
    return [*c.get("command", []), *c.get("args", [])]


@cache
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def compose_env(service: str) -> dict[str, str | None]:
    env = compose()["services"][service].get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


def compose_command(service: str) -> list[str]:
    command = compose()["services"][service]["command"]
    assert isinstance(command, list), f"compose: give {service}'s command as a list"
    return [arg.replace("$$", "$") for arg in command]      # `$$` is Compose's escape for a literal `$`


@cache
def settings_names() -> frozenset[str]:
    return frozenset(re.findall(r'"(TTHC_[A-Z0-9_]+)"', (ROOT / "settings.py").read_text(encoding="utf-8")))


@cache
def rasa_entrypoint() -> Any:
    """deploy/rasa/entrypoint.py as a module (no bytecode written into deploy/)."""
    spec = importlib.util.spec_from_file_location("rasa_entrypoint", DEPLOY / "rasa" / "entrypoint.py")
    module = importlib.util.module_from_spec(spec)
    writes, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = writes
    return module


# ---------------------------------------------------------------------------------------------------- the app
@pytest.fixture(scope="module")
def app() -> Any:
    """The gateway's ASGI app: importing it builds the routes only (the knowledge base loads at start-up)."""
    from channels.app import app as gateway

    return gateway


def serves(app: Any, path: str, method: str = "GET") -> bool:
    """Whether a request for `path` reaches one of the app's routes (path parameters match any value)."""
    from starlette.routing import Match

    scope = {"type": "http", "method": method, "path": path, "root_path": "", "path_params": {},
             "headers": [], "query_string": b""}
    return any(route.matches(scope)[0] is Match.FULL for route in app.routes)


def example_path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", template)


# ---------------------------------------------------------------------------------------------------- scripts/
@cache
def make_run_commands() -> dict[str, list[str | None]]:
    """The Rasa and gateway command lines of `make run` / `make run-cluster` (scripts/*.py), as lists of their
    literal strings (None where an argument is computed)."""
    found: dict[str, list[str | None]] = {}
    for path in sorted((ROOT / "scripts").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.List):
                continue
            items = [e.value if isinstance(e, ast.Constant) and isinstance(e.value, str) else None for e in node.elts]
            if "--auth-token" in items and "run" in items:
                found.setdefault("rasa", items)
            elif "channels.app:app" in items:
                found.setdefault("gateway", items)
    assert set(found) == {"rasa", "gateway"}, f"the commands of `make run` were not found in scripts/: {found}"
    return found


def flags(command: list[str | None]) -> set[str]:
    return {arg for arg in command if arg and arg.startswith("--")}


def value_of(command: list[Any], flag: str) -> Any:
    assert flag in command, f"{flag} missing from {command}"
    return command[command.index(flag) + 1]


# ---------------------------------------------------------------------------------------------------- Dockerfiles
@dataclass
class Instruction:
    keyword: str
    args: str
    stage: int

    def json_args(self) -> list[str]:
        return json.loads(self.args)


def dockerfile(name: str) -> list[Instruction]:
    """Instructions of deploy/NAME.Dockerfile with line continuations joined and comment lines dropped."""
    lines = [line for line in (DEPLOY / f"{name}.Dockerfile").read_text(encoding="utf-8").splitlines()
             if not line.lstrip().startswith("#")]
    logical, current = [], ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        current += line
        if current.strip():
            logical.append(current.strip())
        current = ""
    instructions, stage = [], -1
    for text in logical:
        keyword, _, args = text.partition(" ")
        if keyword.upper() == "FROM":
            stage += 1
        instructions.append(Instruction(keyword.upper(), args.strip(), stage))
    return instructions


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    last = max(i.stage for i in instructions)
    return [i for i in instructions if i.stage == last]


def copy_sources(instructions: list[Instruction]) -> list[str]:
    """Sources of every COPY/ADD from the build context (not `--from` another stage)."""
    sources: list[str] = []
    for ins in instructions:
        if ins.keyword not in ("COPY", "ADD"):
            continue
        words = json.loads(ins.args) if ins.args.startswith("[") else ins.args.split()
        options = [w for w in words if w.startswith("--")]
        paths = [w for w in words if not w.startswith("--")]
        if not any(o.startswith("--from") for o in options):
            sources += paths[:-1]
    return sources


def base_image(instructions: list[Instruction]) -> str:
    """The base of the final stage, with `ARG NAME=default` substituted."""
    args = dict(i.args.split("=", 1) for i in instructions if i.keyword == "ARG" and i.stage == -1 and "=" in i.args)
    image = final_stage(instructions)[0].args.split()[0]
    return re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)


@cache
def dockerignore() -> list[tuple[bool, re.Pattern[str]]]:
    """(exclude?, pattern) of the repository's .dockerignore, in order (Docker's rules: the last match wins)."""
    rules = []
    for raw in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclude = not line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                regex, i = regex + ".*", i + 2
            elif pattern[i] == "*":
                regex, i = regex + "[^/]*", i + 1
            elif pattern[i] == "?":
                regex, i = regex + "[^/]", i + 1
            else:
                regex, i = regex + re.escape(pattern[i]), i + 1
        rules.append((exclude, re.compile(regex + "$")))
    return rules


def ignored(path: str) -> bool:
    """Whether the build context leaves `path` out (a directory's exclusion takes its contents too)."""
    parts = path.strip("/").split("/")
    result = False
    for exclude, regex in dockerignore():
        if any(regex.match("/".join(parts[:n])) for n in range(1, len(parts) + 1)):
            result = exclude
    return result


def local_import_closure(*entries: Path) -> set[Path]:
    """Repository files reachable through `import` statements (lazy imports inside functions included)."""
    def resolve(module: str) -> Path | None:
        base = ROOT.joinpath(*module.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    seen: set[Path] = set()
    todo = list(entries)
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        package = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if path.name != "__init__.py":
            package = package.rpartition(".")[0]
        else:
            package = package.removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                names = [base] + [f"{base}.{alias.name}" for alias in node.names]
            for name in names:
                parts = name.split(".")
                for n in range(1, len(parts) + 1):           # a package's __init__ runs before its modules
                    found = resolve(".".join(parts[:n]))
                    if found is not None and found not in seen:
                        todo.append(found)
    return seen


def copied(sources: list[str], path: Path) -> bool:
    relative = path.relative_to(ROOT).as_posix()
    return any(relative == s.rstrip("/") or relative.startswith(s.rstrip("/") + "/") for s in sources)


# ---------------------------------------------------------------------------------------------------- nginx
@cache
def nginx_locations() -> dict[str, dict[str, str]]:
    """`location` blocks of deploy/nginx/nginx.conf: "MODIFIER PATTERN" -> {directive: value}."""
    text = re.sub(r"#[^\n]*", "", NGINX_CONF.read_text(encoding="utf-8"))
    blocks = {}
    for modifier, pattern, body in re.findall(r"location\s+(=|~\*|~|\^~)?\s*(\S+)\s*\{([^{}]*)\}", text):
        directives = {}
        for statement in body.split(";"):
            if statement.strip():
                key, _, value = statement.strip().partition(" ")
                directives[key] = value.strip()
        blocks[f"{modifier} {pattern}".strip()] = directives
    return blocks


def seconds(duration: str) -> int:
    units = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
    match = re.fullmatch(r"(\d+)([smhd]?)", duration.strip().strip('"'))
    assert match, f"not a duration: {duration!r}"
    return int(match.group(1)) * units[match.group(2)]


# ================================================================================================ schemas
def test_kustomization_lists_every_manifest_except_the_secret_template() -> None:
    listed = kustomization()["resources"]
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", SECRET_TEMPLATE}
    assert sorted(listed) == sorted(files), "deploy/k8s/kustomization.yaml must list every manifest once"
    assert SECRET_TEMPLATE not in listed, "the Secret template holds placeholders: it must never be applied"
    assert kustomization()["namespace"] == named("Namespace", kustomization()["namespace"])["metadata"]["name"]
    images = {image["name"] for image in kustomization().get("images", [])}
    used = {c["image"] for w in workloads() for c in containers(w)}
    assert used <= images, f"images without a registry mapping in kustomization.yaml: {used - images}"


@pytest.mark.parametrize("version", [OLDEST_KUBERNETES, kubernetes_validate.latest_version()])
def test_k8s_manifests_match_the_kubernetes_schemas(version: str) -> None:
    errors = []
    for name, doc in k8s_objects():
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = ".".join(str(p) for p in exc.path)
            errors.append(f"{name}: {doc['kind']}/{doc['metadata']['name']}: {where}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(f"{name}: {exc.message}")
    assert not errors, "\n".join(errors)


def test_compose_matches_the_compose_specification() -> None:
    schema_file = resources.files("check_jsonschema") / "builtin_schemas" / "vendor" / "compose-spec.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{'.'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose())]
    assert not errors, "\n".join(errors)


# ================================================================================================ Compose
def test_compose_services_are_complete() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "rasa", "gateway", "nginx", "purge"} <= set(services)
    for name, service in services.items():
        assert "image" in service or "build" in service, f"{name}: no image and no build"
        if "build" in service:
            context = (DEPLOY / service["build"]["context"]).resolve()
            assert (context / service["build"]["dockerfile"]).is_file(), f"{name}: Dockerfile not found"
        depends = service.get("depends_on", {})
        assert set(depends) <= set(services), f"{name} depends on unknown services: {set(depends) - set(services)}"
        for target, condition in (depends.items() if isinstance(depends, dict) else []):
            if condition.get("condition") == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target}'s health, which has none"
        one_shot = service.get("restart") == "no" or "profiles" in service
        if not one_shot:
            assert "healthcheck" in service, f"{name}: a long-running service needs a healthcheck"
            assert service.get("restart") in ("always", "unless-stopped"), f"{name}: restart policy"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name}: bind mount {source} does not exist"
            elif isinstance(volume, str):
                assert source in (compose().get("volumes") or {}), f"{name}: volume {source} not declared"
    for name in ("rasa", "gateway"):
        assert services[name]["deploy"]["replicas"] >= 2, f"{name}: the production layout runs at least two"
    assert services["purge"]["profiles"] == ["purge"]


def test_compose_commits_no_secret() -> None:
    required = {"TTHC_RASA_TOKEN", "TTHC_ACTION_TOKEN", "POSTGRES_PASSWORD", "REDIS_PASSWORD"}
    text = COMPOSE.read_text(encoding="utf-8")
    for variable in required:
        uses = re.findall(r"(?<!\$)\$\{" + variable + r"([^}]*)\}", text)
        assert uses and all(u.startswith(":?") for u in uses), f"${{{variable}}} must be required (`:?`) everywhere"
    for name in compose()["services"]:
        for key, value in compose_env(name).items():
            if value is None:
                continue                                      # taken from the environment of `docker compose`
            value = str(value)
            if re.search(r"TOKEN|PASSWORD|SECRET|_KEY$", key):
                assert re.fullmatch(r"\$\{\w+:\?[^}]*\}", value), f"{name}: {key} must be ${{VAR:?…}}, not a value"
            for password in re.findall(r"://[^/@:]*:([^@]*)@", value):
                assert re.fullmatch(r"\$\{\w+:\?[^}]*\}", password), f"{name}: {key} has a literal password"


# ================================================================================================ settings
def test_every_tthc_variable_named_in_deploy_exists_in_settings() -> None:
    known = settings_names() | NEW_SETTINGS
    assert "TTHC_DATABASE_URL" in known, "settings.py could not be read for TTHC_* names"
    unknown = {}
    for path in sorted(p for p in DEPLOY.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        names = set(re.findall(r"TTHC_[A-Z0-9_]*[A-Z0-9]", path.read_text(encoding="utf-8"))) - known
        if names:
            unknown[path.relative_to(ROOT).as_posix()] = sorted(names)
    assert not unknown, f"TTHC_* names that settings.py does not read: {unknown}"


def test_secret_template_holds_only_placeholders_and_the_configmap_no_secret() -> None:
    secret = named("Secret", "tthc-secrets")
    values = secret["stringData"]
    assert "data" not in secret
    real = {k: v for k, v in values.items() if v and PLACEHOLDER not in v}
    assert not real, f"the Secret template may only hold empty values or {PLACEHOLDER} placeholders: {sorted(real)}"
    for required in ("TTHC_DATABASE_URL", "TTHC_TRACKER_STORE_URL", "TTHC_REDIS_URL", "TTHC_RASA_TOKEN",
                     "TTHC_ACTION_TOKEN"):
        assert PLACEHOLDER in values.get(required, ""), f"{required} must be in the Secret template, to be replaced"
    config = named("ConfigMap", "tthc-settings")["data"]
    assert not set(config) & set(values), "a setting must be either in the ConfigMap or in the Secret"
    for key, value in config.items():
        assert not re.search(r"TOKEN|PASSWORD|SECRET", key), f"{key} is secret: it belongs in the Secret"
        assert not re.search(r"://[^/@]*@", value), f"{key} carries credentials: it belongs in the Secret"
    for workload in workloads():
        for c in containers(workload):
            refs = [e["secretRef"]["name"] for e in c.get("envFrom", []) if "secretRef" in e]
            refs += [e["configMapRef"]["name"] for e in c.get("envFrom", []) if "configMapRef" in e]
            keys = [e["valueFrom"]["secretKeyRef"] for e in c.get("env", [])
                    if "secretKeyRef" in e.get("valueFrom", {})]
            assert set(refs) <= {"tthc-secrets", "tthc-settings"}, f"{c['name']}: unknown envFrom {refs}"
            for ref in keys:
                assert ref["name"] == "tthc-secrets" and ref["key"] in values, f"{c['name']}: unknown secret key {ref}"


# ================================================================================================ routes
def test_probes_and_healthchecks_use_routes_the_gateway_serves(app: Any) -> None:
    gateway = container("gateway")
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/health/live"
    paths = [gateway[probe]["httpGet"]["path"] for probe in ("startupProbe", "livenessProbe", "readinessProbe")]
    annotations = named("Deployment", "gateway")["spec"]["template"]["metadata"]["annotations"]
    paths.append(annotations["prometheus.io/path"])
    assert int(annotations["prometheus.io/port"]) == GATEWAY_PORT
    healthchecks = [" ".join(compose()["services"]["gateway"]["healthcheck"]["test"])]
    healthchecks += [i.args for i in dockerfile("gateway") if i.keyword == "HEALTHCHECK"]
    for check in healthchecks:
        (url,) = re.findall(r"http://127\.0\.0\.1:(\d+)(/[^'\" ]*)", check)
        assert int(url[0]) == GATEWAY_PORT
        paths.append(url[1])
    for path in paths:
        assert serves(app, path), f"{path} is not a route of channels.app"
    rasa = container("rasa")
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert rasa[probe]["httpGet"]["path"] == "/", "Rasa answers GET / without its token"


def test_public_routing_reaches_the_public_routes_and_hides_the_internal_ones(app: Any) -> None:
    (ingress,) = objects_of("Ingress")
    rules = [(p["path"], p["pathType"]) for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]

    def routed(path: str) -> bool:
        return any(path == prefix if kind == "Exact" else
                   (prefix == "/" or path == prefix or path.startswith(prefix.rstrip("/") + "/"))
                   for prefix, kind in rules)

    for prefix, _ in rules:
        below = prefix.rstrip("/") + "/"
        assert serves(app, prefix) or serves(app, below + "x1") or any(
            p.startswith(below) for p in app.openapi()["paths"]), f"ingress path {prefix} serves nothing"
    for path in app.openapi()["paths"]:
        assert routed(example_path(path)), f"the ingress does not route {path}"
    for path in INTERNAL_ROUTES:
        assert serves(app, path, "POST" if path == "/webhook" else "GET"), f"{path} moved: update deploy/"
        assert not routed(path), f"{path} must not be reachable through the ingress"
        assert nginx_locations().get(f"= {path}", {}).get("return") == "404", f"nginx must refuse {path}"


def test_server_sent_events_are_not_buffered(app: Any) -> None:
    events = "/api/chat/x1/events"
    assert serves(app, events), "the web chat's event stream moved: update deploy/nginx and the ingress"
    sse = [(pattern, d) for pattern, d in nginx_locations().items()
           if pattern.startswith("~") and re.search(pattern.split(" ", 1)[1], events)]
    assert len(sse) == 1, "nginx needs one regex location for the event stream"
    directives = sse[0][1]
    assert directives.get("proxy_buffering") == "off"
    assert seconds(directives["proxy_read_timeout"]) >= 600
    annotations = objects_of("Ingress")[0]["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 600


@pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
                    reason="nginx is not installed (make test installs Debian's)")
def test_nginx_accepts_its_configuration(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    result = subprocess.run([nginx, "-t", "-q", "-p", str(tmp_path), "-c", str(NGINX_CONF),
                             "-g", f"pid {tmp_path / 'nginx.pid'};"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


# ================================================================================================ ports
def test_ports_line_up_from_containers_to_services_and_callers(app: Any) -> None:
    services = {s["metadata"]["name"]: s for s in objects_of("Service")}
    deployments = {d["metadata"]["name"]: d for d in objects_of("Deployment")}
    for name, service in services.items():
        selector = service["spec"]["selector"]
        targets = [d for d in deployments.values()
                   if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()]
        assert len(targets) == 1, f"Service {name} selects {len(targets)} deployments"
        ports = {p.get("name"): p["containerPort"] for c in containers(targets[0], init=False) for p in c["ports"]}
        for port in service["spec"]["ports"]:
            target = port["targetPort"]
            assert target in ports or target in ports.values(), f"Service {name}: no container port {target}"
    for deployment in deployments.values():
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
        for c in containers(deployment, init=False):
            ports = {p.get("name"): p["containerPort"] for p in c["ports"]}
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                port = c[probe]["httpGet"]["port"]
                assert port in ports or port in ports.values(), f"{c['name']} {probe}: no container port {port}"
    assert container("gateway")["ports"][0]["containerPort"] == GATEWAY_PORT
    assert int(value_of(full_command(container("gateway")), "--port")) == GATEWAY_PORT
    assert container("rasa")["ports"][0]["containerPort"] == RASA_PORT
    assert int(value_of(full_command(container("rasa")), "--port")) == RASA_PORT

    for ingress in objects_of("Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                ports = services[backend["name"]]["spec"]["ports"]
                assert any(p.get("name") == backend["port"].get("name") or p["port"] == backend["port"].get("number")
                           for p in ports), f"ingress backend {backend} matches no Service port"

    def service_port(url: str) -> None:
        parts = urlsplit(url)
        assert parts.hostname in services, f"{url}: no Service {parts.hostname}"
        assert parts.port in [p["port"] for p in services[parts.hostname]["spec"]["ports"]], f"{url}: port"
        assert parts.hostname in compose()["services"], f"{url}: no Compose service {parts.hostname}"

    rasa_url = named("ConfigMap", "tthc-settings")["data"]["TTHC_RASA_URL"]
    service_port(rasa_url)
    assert compose_env("gateway")["TTHC_RASA_URL"] == rasa_url
    assert urlsplit(rasa_url).port == int(value_of(compose_command("rasa"), "--port"))
    action = yaml.safe_load(RASA_ENDPOINTS.read_text(encoding="utf-8"))["action_endpoint"]["url"]
    service_port(action)
    assert urlsplit(action).port == int(value_of(compose_command("gateway"), "--port"))
    assert serves(app, urlsplit(action).path, "POST"), "Rasa's action endpoint is not a route of the gateway"
    upstream = re.search(r"set \$gateway (http://\S+);", NGINX_CONF.read_text(encoding="utf-8")).group(1)
    assert urlsplit(upstream).hostname == "gateway" and urlsplit(upstream).port == GATEWAY_PORT
    listen = re.search(r"listen (\d+);", NGINX_CONF.read_text(encoding="utf-8")).group(1)
    published = compose()["services"]["nginx"]["ports"]
    assert any(p.endswith(f":{listen}") for p in published), "nginx's port is not published"


def test_workloads_are_bounded_non_root_and_autoscaled() -> None:
    for workload in workloads():
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] == RUNTIME_UID
        for c in containers(workload):
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(c["resources"][kind]), f"{c['name']}: resources.{kind}"
            assert c["securityContext"]["allowPrivilegeEscalation"] is False
            assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
    deployments = {d["metadata"]["name"]: d for d in objects_of("Deployment")}
    scaled = {h["spec"]["scaleTargetRef"]["name"]: h for h in objects_of("HorizontalPodAutoscaler")}
    assert set(scaled) == set(deployments) == {"gateway", "rasa"}
    for name, hpa in scaled.items():
        assert hpa["apiVersion"] == "autoscaling/v2" and hpa["spec"]["minReplicas"] >= 2
        assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
        assert "replicas" not in deployments[name]["spec"], f"{name}: the HPA owns the replica count"
    budgets = [b["spec"]["selector"]["matchLabels"] for b in objects_of("PodDisruptionBudget")]
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert any(b.items() <= labels.items() for b in budgets), f"{name}: no PodDisruptionBudget"


# ================================================================================================ commands
def test_rasa_runs_with_the_flags_of_make_run() -> None:
    reference = make_run_commands()["rasa"]
    entrypoint = rasa_entrypoint()
    commands = {"k8s": full_command(container("rasa")), "compose": compose_command("rasa")}
    image = dockerfile("rasa")
    commands["image"] = [*next(i for i in image if i.keyword == "ENTRYPOINT").json_args(),
                         *next(i for i in final_stage(image) if i.keyword == "CMD").json_args()]
    for where, command in commands.items():
        assert "/app/deploy/rasa/entrypoint.py" in command or where == "compose", f"{where}: not the entrypoint"
        assert flags(reference) <= flags(command), f"{where}: missing {flags(reference) - flags(command)}"
        assert value_of(command, "--credentials") == value_of(reference, "--credentials")
        assert value_of(command, "--endpoints") == RASA_ENDPOINTS.relative_to(ROOT).as_posix()
        assert value_of(command, "--model") == ".cache/rasa-models/assistant.tar.gz"
        assert value_of(command, "--auth-token") in ("$(TTHC_RASA_TOKEN)", "${TTHC_RASA_TOKEN}")
        args = command[command.index("run"):]
        expanded = entrypoint.rasa_args(args, {"TTHC_RASA_TOKEN": "t0ken"})
        assert value_of(expanded, "--auth-token") in ("t0ken", "$(TTHC_RASA_TOKEN)")
    assert (ROOT / value_of(reference, "--credentials")).is_file()
    needed = set(entrypoint.REQUIRED) | {"TTHC_RASA_TOKEN"}
    assert needed <= {e["name"] for e in container("rasa")["env"]}, "the Rasa pod lacks settings"
    assert needed <= set(compose_env("rasa")), "the Rasa service lacks settings"
    train = next(i.args for i in image if i.keyword == "RUN" and "rasa train" in i.args)
    assert "--out .cache/rasa-models --fixed-model-name assistant" in " ".join(train.split())


def test_rasa_endpoints_take_every_value_from_the_environment() -> None:
    text = RASA_ENDPOINTS.read_text(encoding="utf-8")
    endpoints = yaml.safe_load(text)
    assert endpoints["action_endpoint"]["token"] == "${TTHC_ACTION_TOKEN}"
    assert endpoints["tracker_store"] == {"type": "SQL", "dialect": "postgresql", "url": "${TTHC_TRACKER_STORE_URL}"}
    assert endpoints["lock_store"]["type"] == "redis"
    derived = rasa_entrypoint().lock_store_env("redis://:pass%2Fword@redis:6380/2")
    assert derived["RASA_LOCK_STORE_PASSWORD"] == "pass/word" and derived["RASA_LOCK_STORE_PORT"] == "6380"
    def values(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for item in node.values():
                yield from values(item)
        elif isinstance(node, str):
            yield node

    for variable in (v for value in values(endpoints) for v in re.findall(r"\$\{(\w+)\}", value)):
        assert variable in derived or variable.startswith("TTHC_"), f"nothing sets {variable}"
    with pytest.raises(rasa_entrypoint().SettingsError):
        rasa_entrypoint().rasa_args(["run", "--enable-api", "--auth-token", "${TTHC_RASA_TOKEN}"], {})
    with pytest.raises(rasa_entrypoint().SettingsError):
        rasa_entrypoint().rasa_args(["run", "--enable-api"], {})
    with pytest.raises(rasa_entrypoint().SettingsError):
        rasa_entrypoint().container_env(replace(SETTINGS, action_token="a", redis_url="redis://r:6379/0",
                                                tracker_store_url="sqlite:///rasa.db"))


def test_gateway_runs_with_the_flags_of_make_run() -> None:
    reference = make_run_commands()["gateway"]
    image = [i for i in final_stage(dockerfile("gateway")) if i.keyword == "CMD"][0].json_args()
    for where, command in {"k8s": full_command(container("gateway")), "compose": compose_command("gateway"),
                           "image": image}.items():
        assert command[:2] == ["uvicorn", "channels.app:app"], f"{where}: {command[:2]}"
        assert flags(reference) <= flags(command), f"{where}: missing {flags(reference) - flags(command)}"
        assert "--no-access-log" in command, f"{where}: web chat paths carry conversation ids"
        assert value_of(command, "--host") == "0.0.0.0"
    assert image == compose_command("gateway") == full_command(container("gateway"))


def test_migrations_and_retention_use_the_storage_commands() -> None:
    tree = ast.parse((ROOT / "storage" / "__main__.py").read_text(encoding="utf-8"))
    subcommands = {node.args[0].value for node in ast.walk(tree) if isinstance(node, ast.Call)
                   and getattr(node.func, "attr", "") == "add_parser" and node.args}
    assert {"upgrade", "purge"} <= subcommands
    (migrate,) = named("Deployment", "gateway")["spec"]["template"]["spec"]["initContainers"]
    assert migrate["command"] == ["python", "-m", "storage", "upgrade"] == compose_command("migrate")
    assert migrate["image"] == container("gateway")["image"]
    (cronjob,) = objects_of("CronJob")
    (purge,) = containers(cronjob)
    assert purge["command"] == ["python", "-m", "storage", "purge"] == compose_command("purge")
    assert purge["image"] == container("gateway")["image"]
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    depends = compose()["services"]["gateway"]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"


# ================================================================================================ images
@pytest.mark.parametrize("name,python", [("gateway", "python:3.11-slim"), ("rasa", "python:3.10-slim")])
def test_dockerfiles_build_from_the_repository(name: str, python: str) -> None:
    instructions = dockerfile(name)
    assert max(i.stage for i in instructions) >= 1, "multi-stage: the build stage's tools stay out of the image"
    assert base_image(instructions) == python
    final = final_stage(instructions)
    users = [i.args for i in final if i.keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "the image must run as a non-root user"
    assert int(users[-1].split(":")[0]) == RUNTIME_UID
    assert any(i.keyword == "HEALTHCHECK" for i in final)
    lock = f"requirements/{'app' if name == 'gateway' else 'rasa'}.lock"
    sources = copy_sources(instructions)
    assert lock in sources and any("pip install" in i.args and ".lock" in i.args for i in instructions)
    for source in sources:
        assert (ROOT / source).exists(), f"{name}.Dockerfile copies {source}, which is not in the repository"
        assert not ignored(source), f"{name}.Dockerfile copies {source}, which .dockerignore leaves out"
    for generated in (".cache", ".venv", ".venv-rasa", ".data", ".git"):
        assert ignored(generated), f".dockerignore must leave out {generated}"


def test_gateway_image_holds_every_module_the_gateway_and_its_build_import() -> None:
    sources = copy_sources(dockerfile("gateway"))
    entries = [ROOT / "channels" / "app.py", ROOT / "storage" / "__main__.py",
               ROOT / "knowledge_base" / "__main__.py", ROOT / "knowledge_base" / "catalogue" / "build.py",
               ROOT / "tools" / "convert_embedding.py"]
    build = " ".join(i.args for i in dockerfile("gateway") if i.keyword == "RUN")
    for module in ("knowledge_base.catalogue.build", "tools.convert_embedding", "knowledge_base build"):
        assert f"python -m {module}" in build, f"the build stage must run `python -m {module}` as the Makefile does"
    closure = local_import_closure(*entries)
    assert ROOT / "channels" / "health.py" in closure and ROOT / "settings.py" in closure
    missing = sorted(p.relative_to(ROOT).as_posix() for p in closure if not copied(sources, p))
    assert not missing, f"deploy/gateway.Dockerfile does not copy: {missing}"
    left_out = sorted(p.relative_to(ROOT).as_posix() for p in closure if ignored(p.relative_to(ROOT).as_posix()))
    assert not left_out, f".dockerignore leaves out modules the gateway needs: {left_out}"


def test_rasa_image_holds_its_model_inputs_and_custom_components() -> None:
    sources = copy_sources(dockerfile("rasa"))
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    components = [c["name"] for c in config["pipeline"] + config.get("policies", []) if "." in c["name"]]
    entries = [ROOT.joinpath(*name.split(".")[:-1]).with_suffix(".py") for name in components]
    assert entries, "config.yml names the custom tokenizer"
    files = local_import_closure(*entries, DEPLOY / "rasa" / "entrypoint.py") | {ROOT / "config.yml", ROOT / "bot" / "domain.yml",
                                              ROOT / "bot" / "credentials.yml", RASA_ENDPOINTS,
                                              DEPLOY / "rasa" / "entrypoint.py"}
    files |= set((ROOT / "nlu_data").glob("*.yml")) | set((ROOT / "bot" / "data").glob("*.yml"))
    missing = sorted(p.relative_to(ROOT).as_posix() for p in files if not copied(sources, p))
    assert not missing, f"deploy/rasa.Dockerfile does not copy: {missing}"


def test_only_the_gateways_reach_rasa_and_only_rasa_and_the_ingress_reach_the_gateways() -> None:
    policies = {p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]: p["spec"]
                for p in objects_of("NetworkPolicy")}
    assert set(policies) == {"rasa", "gateway"}
    [rasa_rule] = policies["rasa"]["ingress"]
    assert rasa_rule["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway"}}}]
    [gateway_rule] = policies["gateway"]["ingress"]
    pods = [peer["podSelector"]["matchLabels"] for peer in gateway_rule["from"] if "podSelector" in peer]
    namespaces = [peer["namespaceSelector"]["matchLabels"] for peer in gateway_rule["from"] if "namespaceSelector" in peer]
    assert pods == [{"app.kubernetes.io/name": "rasa"}]
    assert {"kubernetes.io/metadata.name": "ingress-nginx"} in namespaces
    ingress_paths = {p["path"] for rule in named("Ingress", "gateway")["spec"]["rules"] for p in rule["http"]["paths"]}
    assert not {"/webhook", "/metrics"} & ingress_paths, "the ingress controller must not route the internal routes"


def test_the_gateway_trusts_forwarded_addresses_from_the_proxy_only() -> None:
    image = [i for i in final_stage(dockerfile("gateway")) if i.keyword == "CMD"][0].json_args()
    for command in (image, compose_command("gateway"), full_command(container("gateway"))):
        assert "--forwarded-allow-ips" not in command          # uvicorn reads FORWARDED_ALLOW_IPS instead
    nginx_address = compose()["services"]["nginx"]["networks"]["default"]["ipv4_address"]
    assert compose_env("gateway")["FORWARDED_ALLOW_IPS"] == nginx_address
    assert named("ConfigMap", "tthc-settings")["data"]["FORWARDED_ALLOW_IPS"] not in ("*", "")
