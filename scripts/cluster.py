"""`make run-cluster`: the production layout on one machine. nginx (Debian's package) in front of 2 gateways and
2 Rasa servers; every bit of state in PostgreSQL and Redis.

    public  127.0.0.1:PORT ──► gateway-1, gateway-2      (web chat, webhooks, staff; /webhook is not exposed)
    internal rasa balancer ──► rasa-1, rasa-2           (the gateways' dialogue calls)
    internal action balancer ─► gateway-1, gateway-2    (Rasa's action calls)

Rasa takes one conversation's turns one at a time through its lock store in Redis, keeps trackers in PostgreSQL,
and any gateway may run any action; gateways share rate limits and wake each other's web streams through Redis.
As a program it supervises every process like `make run` (scripts/processes.py `Supervisor`): one that exits is
restarted with backoff while nginx sends the traffic to the other gateway or Rasa server.
`tools.load --cluster` and the cluster tests use `Cluster` on free ports."""
from __future__ import annotations

import argparse
import secrets
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scripts.processes import (SUPERVISOR_STATE_FILE, ManagedProcesses, ProcessGroup, free_port, gateway_command,
                               new_token, rasa_command)
from scripts.stack import write_endpoints
from settings import SETTINGS
from storage.database import engine_url

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"

NGINX_CONF = """worker_processes 1;
pid {dir}/nginx.pid;
error_log {logs}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;                      # paths carry web chat session ids
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    client_max_body_size 2m;
    # Bodies and responses stay in memory: nginx's workers may run as another user than the temp folders' owner.
    # (Rasa's action calls carry the whole tracker.)
    client_body_buffer_size 2m;
    proxy_max_temp_file_size 0;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    # A dead instance refuses the connection before the request is sent: nginx tries the other one.
    proxy_next_upstream error timeout http_502 http_503;
    proxy_next_upstream_tries 2;
    proxy_connect_timeout 2s;
    upstream gateways {{
{gateways}
        keepalive 64;
    }}
    upstream rasas {{
{rasas}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location = /webhook {{ return 404; }}
        location / {{
            proxy_pass http://gateways;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_buffering off;         # server-sent events reach the widget at once
            proxy_read_timeout 1h;
        }}
    }}
    # The internal balancers' requests carry tokens in their query (`?token=`, as Rasa's API and action endpoint
    # take them); nginx writes the request line into error messages, so these two log only critical errors.
    server {{
        listen 127.0.0.1:{rasa_port};
        error_log {logs}/nginx-error.log crit;
        location / {{ proxy_pass http://rasas; proxy_read_timeout 60s; }}
    }}
    server {{
        listen 127.0.0.1:{action_port};
        error_log {logs}/nginx-error.log crit;
        location / {{ proxy_pass http://gateways; proxy_read_timeout 60s; }}
    }}
}}
"""


@contextmanager
def scratch_database(server_url: str = DEFAULT_DATABASE) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of `server_url`, dropped afterwards (load runs, tests)."""
    name = "tthc_" + secrets.token_hex(6)
    admin = create_engine(engine_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _servers(ports: list[int]) -> str:
    return "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=3s;" for p in ports)


@dataclass
class ClusterConfig:
    port: int = 8080
    gateways: int = 2
    rasas: int = 2
    data_dir: Path = SETTINGS.data_dir / "cluster"
    # TTHC_DATABASE_URL when it names PostgreSQL (the embedded SQLite default cannot be shared), else the local one.
    database_url: str = field(default_factory=lambda: DEFAULT_DATABASE if SETTINGS.database_url.startswith("sqlite")
                              else SETTINGS.database_url)
    redis_url: str = field(default_factory=lambda: SETTINGS.redis_url or DEFAULT_REDIS)
    env: dict[str, str] = field(default_factory=dict)         # extra TTHC_* settings for every gateway
    rasa_token: str = field(default_factory=lambda: SETTINGS.rasa_token or new_token())
    action_token: str = field(default_factory=lambda: SETTINGS.action_token or new_token())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Cluster(ManagedProcesses):
    def __init__(self, config: ClusterConfig) -> None:
        if config.database_url.startswith("sqlite"):
            raise SystemExit("The cluster needs PostgreSQL: set TTHC_DATABASE_URL=postgresql://…")
        self.config = config
        self.group = ProcessGroup(config.data_dir / "logs")
        self.gateway_ports = [free_port() for _ in range(config.gateways)]
        self.rasa_ports = [free_port() for _ in range(config.rasas)]
        self.rasa_balancer, self.action_balancer = free_port(), free_port()

    def gateway_url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.gateway_ports[n - 1]}"

    @property
    def supervisor_state(self) -> Path:
        return self.config.data_dir / SUPERVISOR_STATE_FILE

    def start(self, timeout: float = 600) -> None:
        """Start every process (the Rasa servers one after another); `wait_healthy` then waits for the rest."""
        cfg = self.config
        self._start_nginx()
        endpoints = write_endpoints(cfg.data_dir / "rasa-endpoints.yml", f"http://127.0.0.1:{self.action_balancer}"
                                    "/webhook", cfg.action_token, cfg.database_url, cfg.redis_url)
        env = {"TTHC_RASA_URL": f"http://127.0.0.1:{self.rasa_balancer}", "TTHC_DATABASE_URL": cfg.database_url,
               "TTHC_TRACKER_STORE_URL": cfg.database_url, "TTHC_REDIS_URL": cfg.redis_url,
               "TTHC_RASA_TOKEN": cfg.rasa_token, "TTHC_ACTION_TOKEN": cfg.action_token,
               "TTHC_SUPERVISOR_STATE": str(self.supervisor_state), **cfg.env}
        for n, port in enumerate(self.gateway_ports, 1):
            self.group.spawn(f"gateway-{n}", gateway_command("127.0.0.1", port, behind_proxy=True),
                             {**env, "TTHC_DATA_DIR": str(cfg.data_dir / f"gateway-{n}"), "TTHC_APP_PORT": str(port)},
                             health_url=self.gateway_url(n) + "/health/live")
        for n, port in enumerate(self.rasa_ports, 1):
            self.group.spawn(f"rasa-{n}", rasa_command(port, endpoints, cfg.rasa_token), {},
                             health_url=f"http://127.0.0.1:{port}/")
            if n == 1:           # the first creates the tracker tables; the others start once they exist
                self.group.wait_for(f"http://127.0.0.1:{port}/", timeout)

    def _start_nginx(self) -> None:
        cfg = self.config
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (cfg.data_dir / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        (cfg.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        conf = cfg.data_dir / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=cfg.data_dir, logs=cfg.data_dir / "logs", port=cfg.port,
                                          gateways=_servers(self.gateway_ports), rasas=_servers(self.rasa_ports),
                                          rasa_port=self.rasa_balancer, action_port=self.action_balancer))
        self.group.spawn("nginx", [NGINX, "-p", str(cfg.data_dir), "-c", str(conf), "-g", "daemon off;"], {},
                         health_url=cfg.url + "/health/live")

    def wait_healthy(self, timeout: float = 600) -> None:
        """Every gateway ready, and the whole path (nginx, a gateway, a Rasa) healthy."""
        for n in range(1, self.config.gateways + 1):
            self.group.wait_for(self.gateway_url(n) + "/health/ready", timeout)
        for port in self.rasa_ports:
            self.group.wait_for(f"http://127.0.0.1:{port}/", timeout)
        self.group.wait_for(self.config.url + "/health", timeout)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the assistant as a cluster: nginx, 2 gateways, 2 Rasa")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    cluster = Cluster(ClusterConfig(port=args.port))
    url = cluster.config.url
    cluster.run_in_foreground(
        lambda: f"Starting nginx, {cluster.config.gateways} gateways and {cluster.config.rasas} Rasa servers "
                f"(logs in {cluster.group.log_dir}); PostgreSQL and Redis hold the state…",
        f"\n  Web chat ready: {url}/\n  Staff console: {url}/staff\n  Load: make load URL={url}"
        "\n  Press Ctrl-C to stop.\n")


if __name__ == "__main__":
    main()
