"""What containers of common images print, line by line, in the formats those programs really use: nginx,
ingress-nginx and Envoy access logs, JSON and logfmt application logs, PostgreSQL, MySQL and Redis server
logs, klog lines of system components, and the last words of a crashing process (a Java stack trace, a
Python traceback, a Go panic, nginx's [emerg]). Every text is a pure function of its inputs.
"""

from __future__ import annotations

from datetime import UTC, datetime

from kubegenie.sandbox.sim.usage import unit

WEB = "web"
INGRESS = "ingress"
ENVOY = "envoy"
POSTGRES = "postgres"
MYSQL = "mysql"
REDIS = "redis"
JAVA = "java"
PYTHON = "python"
NODE = "node"
GO = "go"
COREDNS = "coredns"
SYSTEM = "system"
QUIET = "quiet"

_PATHS = ("/", "/api/v1/products", "/api/v1/products/{id}", "/api/v1/cart", "/api/v1/orders", "/api/v1/orders/{id}",
          "/api/v1/users/me", "/static/app.{id}.js", "/static/styles.css", "/healthz", "/metrics", "/api/v1/search")
_AGENTS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 "
           "Safari/537.36",
           "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
           "Safari/605.1.15", "kube-probe/1.31", "Go-http-client/1.1", "curl/8.5.0", "python-requests/2.31.0")


def kind_of(image: str) -> str:
    """The family of program an image runs, from its repository name."""
    repository = image.rsplit("@", 1)[0].rsplit(":", 1)[0] if "/" in image or ":" in image else image
    name = repository.lower()
    last = name.rsplit("/", 1)[-1]
    checks = ((INGRESS, ("ingress-nginx", "nginx-ingress")), (ENVOY, ("envoy", "istio/proxy", "contour")),
              (WEB, ("nginx", "openresty", "httpd", "haproxy", "traefik", "caddy")),
              (POSTGRES, ("postgres", "postgis", "timescale")), (MYSQL, ("mysql", "mariadb", "percona")),
              (REDIS, ("redis", "valkey", "keydb")), (COREDNS, ("coredns",)),
              (SYSTEM, ("kube-proxy", "amazon-k8s-cni", "aws-ebs-csi", "kubernetes-csi", "metrics-server",
                        "cluster-autoscaler", "kube-state-metrics", "node-exporter", "external-dns")),
              (JAVA, ("java", "openjdk", "temurin", "corretto", "spring", "tomcat", "jboss", "keycloak", "kafka",
                      "elasticsearch", "jenkins", "zookeeper", "-jvm")),
              (PYTHON, ("python", "django", "flask", "fastapi", "celery", "airflow", "jupyter")),
              (NODE, ("node", "next", "express", "nuxt")),
              (QUIET, ("busybox", "alpine", "pause", "ubuntu", "debian", "curl")))
    for kind, needles in checks:
        if any(needle in name for needle in needles):
            return kind
    return GO if last else QUIET


def clock(at: float, layout: str) -> str:
    return datetime.fromtimestamp(at, UTC).strftime(layout)


def iso_millis(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _pick(options: tuple[str, ...], *parts: object) -> str:
    return options[int(unit(*parts) * len(options))]


def _request(key: str, index: int) -> tuple[str, str, int, int, float, str]:
    """(method, path, status, bytes, seconds, client) of the index-th request a server logs."""
    path = _pick(_PATHS, key, "path", index).replace("{id}", str(1000 + int(unit(key, "id", index) * 9000)))
    method = "POST" if path.endswith(("/cart", "/orders")) and unit(key, "post", index) < 0.4 else "GET"
    roll = unit(key, "status", index)
    status = 500 if roll < 0.004 else 404 if roll < 0.02 else 304 if roll < 0.06 else 201 if method == "POST" else 200
    size = 0 if status == 304 else int(200 + unit(key, "size", index) * 24000)
    latency = round(0.001 + unit(key, "latency", index) ** 3 * 0.9, 3)
    client = f"10.244.{int(unit(key, 'net', index) * 8)}.{2 + int(unit(key, 'host', index) * 250)}"
    return method, path, status, size, latency, client


def access_line(kind: str, key: str, index: int, at: float, service: str) -> str:
    method, path, status, size, latency, client = _request(key, index)
    agent = _pick(_AGENTS, key, "agent", index)
    if kind == INGRESS:
        upstream = f"10.244.{int(unit(key, 'up', index) * 8)}.{2 + int(unit(key, 'uphost', index) * 250)}:8080"
        request_id = f"{int(unit(key, 'rid', index) * 2**64):016x}{int(unit(key, 'rid2', index) * 2**64):016x}"
        return (f'{client} - - [{clock(at, "%d/%b/%Y:%H:%M:%S +0000")}] "{method} {path} HTTP/1.1" {status} {size} "-" '
                f'"{agent}" {180 + index % 400} {latency} [{service}-80] [] {upstream} {size} {latency} {status} '
                f'{request_id}')
    if kind == ENVOY:
        request_id = (f"{int(unit(key, 'rid', index) * 2**32):08x}-{int(unit(key, 'rid2', index) * 2**16):04x}-"
                      f"4f3a-9c1d-{int(unit(key, 'rid3', index) * 2**48):012x}")
        return (f'[{iso_millis(at)}] "{method} {path} HTTP/1.1" {status} - 0 {size} {int(latency * 1000)} '
                f'{max(0, int(latency * 1000) - 1)} "{client}" "{agent}" "{request_id}" "{service}:8080" '
                f'"10.244.1.{10 + index % 40}:8080"')
    return (f'{client} - - [{clock(at, "%d/%b/%Y:%H:%M:%S +0000")}] "{method} {path} HTTP/1.1" {status} {size} "-" '
            f'"{agent}" "-"')


def app_line(kind: str, key: str, index: int, at: float, service: str) -> str:
    method, path, status, _, latency, _ = _request(key, index)
    millis = round(latency * 1000, 1)
    slow = unit(key, "slow", index) < 0.01
    if kind == JAVA:
        level = "WARN" if slow or status >= 500 else "INFO"
        logger = "c.e.s.web.RequestLoggingFilter" if not slow else "o.h.engine.jdbc.spi.SqlExceptionHelper"
        text = f"Slow query took {int(millis * 40)}ms: select p1_0.id from product p1_0" if slow else \
            f"{method} {path} completed with status {status} in {millis}ms"
        return f"{clock(at, '%Y-%m-%dT%H:%M:%S')}.{int(at * 1000) % 1000:03d}Z {level:>5} 1 --- [nio-8080-exec-" \
               f"{1 + index % 10}] {logger:<40} : {text}"
    if kind == PYTHON:
        level = "WARNING" if slow else "INFO"
        return f"{clock(at, '%Y-%m-%d %H:%M:%S')},{int(at * 1000) % 1000:03d} {level} [{service}] " \
               f"\"{method} {path} HTTP/1.1\" {status} {millis}ms"
    if kind == NODE:
        severity = 40 if status >= 500 else 30
        return (f'{{"level":{severity},"time":{int(at * 1000)},"pid":1,"hostname":"{service}","req":{{'
                f'"method":"{method}","url":"{path}"}},"res":{{"statusCode":{status}}},"responseTime":{millis},'
                f'"msg":"request completed"}}')
    level = "warn" if slow or status >= 500 else "info"
    message = "slow request" if slow else "request"
    return (f'{{"level":"{level}","ts":"{iso_millis(at)}","caller":"http/middleware.go:{88 + index % 3}","msg":'
            f'"{message}","method":"{method}","path":"{path}","status":{status},"duration_ms":{millis},'
            f'"service":"{service}"}}')


def startup_lines(kind: str, service: str, image: str, start: float, node_ip: str) -> list[tuple[float, str]]:
    """(seconds after start, text) of what a program prints while it starts."""
    tag = image.rsplit(":", 1)[-1] if ":" in image.rsplit("/", 1)[-1] else "latest"
    if kind in (WEB, INGRESS):
        stamp = clock(start, "%Y/%m/%d %H:%M:%S")
        texts = ["/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
                 "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
                 "/docker-entrypoint.sh: Configuration complete; ready for start up",
                 f'{stamp} [notice] 1#1: using the "epoll" event method', f"{stamp} [notice] 1#1: nginx/1.27.2",
                 f"{stamp} [notice] 1#1: start worker processes", f"{stamp} [notice] 1#1: start worker process 29"]
        if kind == INGRESS:
            texts = ["-------------------------------------------------------------------------------",
                     "NGINX Ingress controller", f"  Release:       {tag}", "  Repository:    "
                     "https://github.com/kubernetes/ingress-nginx", "  nginx version: nginx/1.25.5",
                     "-------------------------------------------------------------------------------",
                     f'I{clock(start, "%m%d %H:%M:%S")}.000000       7 main.go:205] "Creating API client" '
                     f'host="https://10.96.0.1:443"']
        return [(index * 0.01, text) for index, text in enumerate(texts)]
    if kind == ENVOY:
        return [(0.0, f"[{iso_millis(start)}][1][info][main] [source/server/server.cc:430] initializing epoch 0 "
                      f"(base id=0, hot restart version=11.104)"),
                (0.2, f"[{iso_millis(start + 0.2)}][1][info][main] [source/server/server.cc:962] starting main "
                      f"dispatch loop")]
    if kind == POSTGRES:
        stamp = clock(start, "%Y-%m-%d %H:%M:%S.") + f"{int(start * 1000) % 1000:03d} UTC"
        return [(0.0, f"{stamp} [1] LOG:  starting PostgreSQL 16.4 (Debian 16.4-1.pgdg120+1) on x86_64-pc-linux-gnu"),
                (0.01, f'{stamp} [1] LOG:  listening on IPv4 address "0.0.0.0", port 5432'),
                (0.02, f'{stamp} [1] LOG:  listening on Unix socket "/var/run/postgresql/.s.PGSQL.5432"'),
                (0.05, f"{stamp} [28] LOG:  database system was shut down at {clock(start - 60, '%Y-%m-%d %H:%M:%S')} "
                       f"UTC"),
                (0.08, f"{stamp} [1] LOG:  database system is ready to accept connections")]
    if kind == MYSQL:
        stamp = clock(start, "%Y-%m-%dT%H:%M:%S.") + f"{int(start * 1e6) % 1000000:06d}Z"
        return [(0.0, f"{stamp} 0 [System] [MY-010116] [Server] /usr/sbin/mysqld (mysqld 8.4.2) starting as process 1"),
                (0.5, f"{stamp} 1 [System] [MY-013576] [InnoDB] InnoDB initialization has started."),
                (1.5, f"{stamp} 0 [System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. Version: "
                      f"'8.4.2'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL.")]
    if kind == REDIS:
        stamp = clock(start, "%d %b %Y %H:%M:%S.") + f"{int(start * 1000) % 1000:03d}"
        return [(0.0, f"1:C {stamp} * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"),
                (0.001, f"1:C {stamp} * Redis version=7.4.1, bits=64, commit=00000000, modified=0, pid=1, just "
                        f"started"),
                (0.002, f"1:M {stamp} * Server initialized"),
                (0.003, f"1:M {stamp} * Ready to accept connections tcp")]
    if kind == COREDNS:
        return [(0.0, ".:53"), (0.01, "[INFO] plugin/reload: Running configuration SHA512 = "
                                      "591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b9"
                                      "53814040d180f52594972691cd6ff41be96639138a43908"),
                (0.02, "CoreDNS-1.11.3"), (0.03, "linux/amd64, go1.21.11, a6338e9")]
    if kind == SYSTEM:
        stamp = clock(start, "%m%d %H:%M:%S")
        return [(0.0, f'I{stamp}.000000       1 server.go:85] "Starting {service}" version="{tag}"'),
                (0.1, f'I{stamp}.100000       1 node.go:141] "Successfully retrieved node IP(s)" IPs=["{node_ip}"]')]
    if kind == JAVA:
        return [(0.0, "  .   ____          _            __ _ _"),
                (0.0, " /\\\\ / ___'_ __ _ _(_)_ __  __ _ \\ \\ \\ \\"),
                (0.0, ":: Spring Boot ::                (v3.3.4)"),
                (1.2, f"{clock(start + 1.2, '%Y-%m-%dT%H:%M:%S')}.200Z  INFO 1 --- [           main] "
                      f"c.e.{service.replace('-', '')}.Application : Starting Application v1.0.0 using Java 21.0.4 "
                      f"with PID 1"),
                (6.5, f"{clock(start + 6.5, '%Y-%m-%dT%H:%M:%S')}.500Z  INFO 1 --- [           main] "
                      f"o.s.b.w.embedded.tomcat.TomcatWebServer  : Tomcat started on port 8080 (http) with context "
                      f"path '/'")]
    if kind == PYTHON:
        return [(0.0, f"[{clock(start, '%Y-%m-%d %H:%M:%S')} +0000] [1] [INFO] Starting gunicorn 22.0.0"),
                (0.01, f"[{clock(start, '%Y-%m-%d %H:%M:%S')} +0000] [1] [INFO] Listening at: http://0.0.0.0:8000 (1)"),
                (0.2, f"[{clock(start, '%Y-%m-%d %H:%M:%S')} +0000] [7] [INFO] Booting worker with pid: 7")]
    if kind == NODE:
        return [(0.0, f'{{"level":30,"time":{int(start * 1000)},"pid":1,"hostname":"{service}","msg":"Server listening '
                      f'at http://0.0.0.0:3000"}}')]
    if kind == GO:
        return [(0.0, f'{{"level":"info","ts":"{iso_millis(start)}","caller":"cmd/main.go:42","msg":"starting '
                      f'{service}","version":"{tag}"}}'),
                (0.05, f'{{"level":"info","ts":"{iso_millis(start + 0.05)}","caller":"http/server.go:61","msg":'
                       f'"listening","addr":":8080"}}')]
    return []


def housekeeping_line(kind: str, index: int, at: float) -> str | None:
    """What a database prints every few minutes (PostgreSQL checkpoints, Redis background saves)."""
    if kind == POSTGRES:
        stamp = clock(at, "%Y-%m-%d %H:%M:%S.") + f"{int(at * 1000) % 1000:03d} UTC"
        if index % 2 == 0:
            return f"{stamp} [26] LOG:  checkpoint starting: time"
        buffers = 12 + index * 7 % 180
        return (f"{stamp} [26] LOG:  checkpoint complete: wrote {buffers} buffers ({buffers / 160:.1f}%); 0 WAL "
                f"file(s) added, 0 removed, 0 recycled; write={buffers / 10:.3f} s, sync=0.004 s, total="
                f"{buffers / 10 + 0.01:.3f} s; sync files=9, longest=0.002 s, average=0.001 s; distance="
                f"{buffers * 8} kB, estimate={buffers * 9} kB; lsn=0/{0x1A00000 + index * 4096:X}, redo "
                f"lsn=0/{0x19FF000 + index * 4096:X}")
    if kind == REDIS:
        stamp = clock(at, "%d %b %Y %H:%M:%S.") + f"{int(at * 1000) % 1000:03d}"
        step = index % 4
        return (f"1:M {stamp} * 100 changes in 300 seconds. Saving...", f"1:M {stamp} * Background saving started by "
                f"pid {40 + index}", f"{40 + index}:C {stamp} * DB saved on disk", f"1:M {stamp} * Background saving "
                f"terminated with success")[step]
    return None


def crash_lines(kind: str, service: str, exit_code: int, at: float) -> list[tuple[float, str]]:
    """(seconds before the exit, text) of the last words of a process that exits with `exit_code`."""
    if kind in (WEB, INGRESS):
        return [(0.01, f'{clock(at, "%Y/%m/%d %H:%M:%S")} [emerg] 1#1: host not found in upstream '
                       f'"{service}-backend:8080" in /etc/nginx/conf.d/default.conf:14'),
                (0.0, f'nginx: [emerg] host not found in upstream "{service}-backend:8080" in '
                      f'/etc/nginx/conf.d/default.conf:14')]
    if kind == POSTGRES:
        stamp = clock(at, "%Y-%m-%d %H:%M:%S.") + f"{int(at * 1000) % 1000:03d} UTC"
        return [(0.0, f'{stamp} [1] FATAL:  data directory "/var/lib/postgresql/data" has invalid permissions'),
                (0.0, f"{stamp} [1] DETAIL:  Permissions should be u=rwx (0700) or u=rwx,g=rx (0750).")]
    if kind == MYSQL:
        stamp = clock(at, "%Y-%m-%dT%H:%M:%S.") + "000000Z"
        return [(0.01, f"{stamp} 0 [ERROR] [MY-010457] [Server] --initialize specified but the data directory has "
                       f"files in it. Aborting."),
                (0.0, f"{stamp} 0 [ERROR] [MY-010119] [Server] Aborting")]
    if kind == REDIS:
        return [(0.0, "*** FATAL CONFIG FILE ERROR (Redis 7.4.1) ***"),
                (0.0, "Reading the configuration file, at line 2"), (0.0, ">>> 'maxmemory 2gib'"),
                (0.0, "argument must be a memory value")]
    if kind == JAVA:
        head = (f"{clock(at, '%Y-%m-%dT%H:%M:%S')}.000Z ERROR 1 --- [           main] o.s.boot.SpringApplication"
                f"               : Application run failed")
        trace = ["org.springframework.beans.factory.BeanCreationException: Error creating bean with name 'dataSource' "
                 "defined in class path resource [org/springframework/boot/autoconfigure/jdbc/DataSourceConfiguration"
                 "$Hikari.class]: Failed to instantiate [com.zaxxer.hikari.HikariDataSource]",
                 "\tat org.springframework.beans.factory.support.ConstructorResolver.instantiate(ConstructorResolver."
                 "java:648)",
                 "\tat org.springframework.boot.SpringApplication.run(SpringApplication.java:335)",
                 f"\tat com.example.{service.replace('-', '')}.Application.main(Application.java:12)",
                 "Caused by: java.net.ConnectException: Connection refused",
                 "\tat java.base/sun.nio.ch.Net.pollConnect(Native Method)",
                 "\tat java.base/sun.nio.ch.NioSocketImpl.connect(NioSocketImpl.java:592)",
                 "\t... 42 common frames omitted"]
        return [(0.02, head)] + [(0.01, line) for line in trace]
    if kind == PYTHON:
        return [(0.01, "Traceback (most recent call last):"),
                (0.01, '  File "/app/main.py", line 18, in <module>'),
                (0.01, "    engine.connect()"),
                (0.01, '  File "/usr/local/lib/python3.12/site-packages/sqlalchemy/engine/base.py", line 3273, in '
                       'connect'),
                (0.0, 'sqlalchemy.exc.OperationalError: (psycopg.OperationalError) connection failed: connection to '
                      'server at "10.96.112.40", port 5432 failed: Connection refused')]
    if kind == NODE:
        return [(0.01, "node:internal/process/promises:391"),
                (0.01, "    triggerUncaughtException(err, true /* fromPromise */);"),
                (0.0, "Error: connect ECONNREFUSED 10.96.112.40:6379"),
                (0.0, "    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16) {"),
                (0.0, "  errno: -111,"), (0.0, "  code: 'ECONNREFUSED',"), (0.0, "}")]
    if exit_code == 2:
        return [(0.01, "panic: runtime error: invalid memory address or nil pointer dereference"),
                (0.01, "[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x9b6f3a]"),
                (0.0, "goroutine 1 [running]:"), (0.0, "main.loadConfig(...)"),
                (0.0, f"\t/src/cmd/{service}/main.go:57 +0x3a")]
    return [(0.0, f'{{"level":"fatal","ts":"{iso_millis(at)}","caller":"cmd/main.go:48","msg":"failed to load '
                  f'configuration","error":"open /etc/{service}/config.yaml: no such file or directory"}}')]
