#!/usr/bin/env python3
"""Checks deploy/compose as far as a machine without a container engine can.

1. `docker-compose config` accepts docker-compose.yml (and refuses a broken copy).
2. Every file the compose file and the Dockerfiles name exists in the repository: build contexts,
   Dockerfiles, bind-mounted files, COPY sources, example manifests the containers are given.
3. Every binary named (BINARY build args, the Dockerfile's build targets) is an executable target
   of the CMake tree (the list the ctest registration wrote from the configured tree), and every
   target the compose file needs is built by the Dockerfile.
4. The federation's shape: the three NATS nodes route to each other, every hub service runs, the
   stateless ones (gateway, resolver, discovery, trust) with two replicas, each with its own NATS
   user; the generated nats.conf passes `nats-server -t`.
5. The checks can fail: mutated copies (an unknown binary, a missing file, one replica, a syntax
   error) must each be refused with the expected message.

usage: check_compose.py SOURCE_DIR EXECUTABLES_FILE
Prints one line per problem (file and service named) and exits 1 when there is any.
"""

import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

HUB_SERVICES = ["discovery", "resolver", "trust", "delivery", "portability", "gateway"]
STATELESS = ["gateway", "resolver", "discovery", "trust"]
NATS_NODES = ["nats-1", "nats-2", "nats-3"]
IMAGE_EXAMPLES = "/usr/share/mpli/examples/"  # where the Dockerfile copies ontology/examples/


def compose_config(compose_dir, compose_file):
    """docker-compose's own rendering of the file (anchors merged, paths absolute)."""
    result = subprocess.run(["docker-compose", "-f", compose_file, "config"], cwd=compose_dir,
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return None, result.stderr.strip()
    return yaml.safe_load(result.stdout), ""


def dockerfile_facts(path):
    """COPY sources (relative to the context) and the targets the build stage builds."""
    text = open(path, encoding="utf-8").read()
    joined = re.sub(r"\\\n", " ", text)
    copies = []
    for line in joined.splitlines():
        words = line.split()
        if not words or words[0].upper() != "COPY" or any(w.startswith("--from") for w in words):
            continue
        copies.extend(w for w in words[1:-1] if not w.startswith("--"))
    targets = []
    for match in re.finditer(r"--target\s+((?:[\w.-]+\s*)+)", joined):
        targets.extend(match.group(1).split())
    return copies, targets


def mounts(service):
    """(source, target) of every volume entry; docker-compose 1.29 renders "src:dst[:mode]"."""
    out = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            out.append((volume.get("source", ""), volume.get("target", "")))
        else:
            parts = str(volume).split(":")
            out.append((parts[0], parts[1] if len(parts) > 1 else parts[0]))
    return out


def check(compose_dir, compose_file, source_dir, executables):
    problems = []
    where = os.path.join(compose_dir, compose_file)
    config, error = compose_config(compose_dir, compose_file)
    if config is None:
        return [f"{where}: docker-compose config refuses the file: {error}"]
    services = config.get("services", {})

    built_targets = set()
    binaries = {}  # service -> BINARY
    for name, service in services.items():
        build = service.get("build")
        if build:
            context = build.get("context", "")
            dockerfile = os.path.join(context, build.get("dockerfile", "Dockerfile"))
            if not os.path.isdir(context):
                problems.append(f"{where}: service {name}: build context {context} does not exist")
                continue
            if not os.path.isfile(dockerfile):
                problems.append(f"{where}: service {name}: Dockerfile {dockerfile} does not exist")
                continue
            copies, targets = dockerfile_facts(dockerfile)
            built_targets.update(targets)
            for source in copies:
                source = source.replace("${BINARY}", "")
                if source in (".", "") or "$" in source:
                    continue
                if not os.path.exists(os.path.join(context, source)):
                    problems.append(f"{dockerfile}: COPY {source}: not in the build context "
                                    f"{context} (service {name})")
            for target in targets:
                if target not in executables:
                    problems.append(f"{dockerfile}: build target {target} is not an executable of "
                                    f"the CMake tree")
            binary = (build.get("args") or {}).get("BINARY")
            if binary is not None:
                binaries[name] = binary
        for source, _ in mounts(service):
            # A bind mount (an absolute path once rendered); the others are named volumes.
            if source.startswith("/") and not os.path.exists(source):
                problems.append(f"{where}: service {name}: bind mount source {source} does not "
                                f"exist")
        for word in (service.get("command") or []) + (service.get("entrypoint") or []):
            for path in re.findall(re.escape(IMAGE_EXAMPLES) + r"[\w./-]+", str(word)):
                repo_path = os.path.join(source_dir, "ontology/examples",
                                         path[len(IMAGE_EXAMPLES):])
                if not os.path.isfile(repo_path):
                    problems.append(f"{where}: service {name}: {path} would be {repo_path}, which "
                                    f"does not exist")

    for name, binary in binaries.items():
        if binary not in executables:
            problems.append(f"{where}: service {name}: BINARY {binary} is not an executable of "
                            f"the CMake tree")
        elif binary not in built_targets:
            problems.append(f"{where}: service {name}: BINARY {binary} is not among the targets "
                            f"the Dockerfile builds")

    for name in HUB_SERVICES:
        service = services.get(name)
        if service is None:
            problems.append(f"{where}: hub service {name} is missing")
            continue
        if binaries.get(name) != f"mpli-{name}":
            problems.append(f"{where}: service {name} must run mpli-{name}, "
                            f"runs {binaries.get(name)}")
        env = service.get("environment") or {}
        if env.get("MPLI_NATS_USER") != name:
            problems.append(f"{where}: service {name}: MPLI_NATS_USER must be {name} (its own "
                            f"NATS user), is {env.get('MPLI_NATS_USER')}")
        replicas = (service.get("deploy") or {}).get("replicas", 1)
        if name in STATELESS and replicas < 2:
            problems.append(f"{where}: service {name} is stateless and must run two replicas, "
                            f"has {replicas}")
    nats_conf = None
    for node in NATS_NODES:
        service = services.get(node)
        if service is None:
            problems.append(f"{where}: NATS node {node} is missing")
            continue
        for source, target in mounts(service):
            if target == "/etc/nats/nats.conf":
                nats_conf = source
    if nats_conf and os.path.isfile(nats_conf):
        text = open(nats_conf, encoding="utf-8").read()
        for node in NATS_NODES:
            if f"nats-route://{node}:6222" not in text:
                problems.append(f"{nats_conf}: the cluster routes do not name {node}")
        if "jetstream" not in text:
            problems.append(f"{nats_conf}: JetStream is not enabled")
    elif not problems:
        problems.append(f"{where}: no NATS node mounts a nats.conf at /etc/nats/nats.conf")
    return problems


def nats_conf_problems(compose_dir):
    """nats-server -t over nats.conf with the users init-secrets.sh generates."""
    server = shutil.which("nats-server") or "/usr/sbin/nats-server"
    if not os.path.exists(server):
        return []  # the Debian nats-server is a build dependency; without it this part is skipped
    with tempfile.TemporaryDirectory() as tmp:
        secrets = os.path.join(tmp, "secrets-volume")
        env = dict(os.environ, MPLI_SECRETS_DIR=secrets)
        init = subprocess.run(["sh", os.path.join(compose_dir, "init-secrets.sh")], env=env,
                              capture_output=True, text=True, check=False)
        if init.returncode != 0:
            return [f"{compose_dir}/init-secrets.sh failed: {init.stderr.strip()}"]
        conf_dir = os.path.join(tmp, "etc")
        os.makedirs(conf_dir)
        shutil.copy(os.path.join(compose_dir, "nats", "nats.conf"), conf_dir)
        shutil.copytree(os.path.join(secrets, "nats"), os.path.join(conf_dir, "secrets"))
        env["NATS_SERVER_NAME"] = "nats-1"
        test = subprocess.run([server, "-c", os.path.join(conf_dir, "nats.conf"), "-t"], env=env,
                              capture_output=True, text=True, check=False)
        if test.returncode != 0:
            return [f"{compose_dir}/nats/nats.conf with the generated users: nats-server -t "
                    f"refuses it: {(test.stdout + test.stderr).strip()}"]
    return []


def mutated(compose_dir, tmp, label, edit):
    """A copy of the compose directory with docker-compose.yml edited by `edit(text)`."""
    target = os.path.join(tmp, label, "deploy", "compose")
    shutil.copytree(compose_dir, target)
    # The build context ../.. must still reach the repository's files: link them in.
    repo = os.path.dirname(os.path.dirname(compose_dir))
    for entry in os.listdir(repo):
        if entry != "deploy":
            os.symlink(os.path.join(repo, entry), os.path.join(tmp, label, entry))
    path = os.path.join(target, "docker-compose.yml")
    text = open(path, encoding="utf-8").read()
    new_text = edit(text)
    if new_text == text:
        raise SystemExit(f"check_compose.py: negative check {label}: the edit changed nothing")
    open(path, "w", encoding="utf-8").write(new_text)
    return target


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    source_dir = os.path.abspath(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as f:
        executables = {line.strip() for line in f if line.strip()}
    if "mpli-gateway" not in executables:
        print(f"{sys.argv[2]}: the executables list lacks mpli-gateway; is it the configured "
              f"tree's?", file=sys.stderr)
        return 1
    compose_dir = os.path.join(source_dir, "deploy", "compose")
    problems = check(compose_dir, "docker-compose.yml", source_dir, executables)
    problems += nats_conf_problems(compose_dir)
    for problem in problems:
        print("FAIL " + problem)

    # Negative checks: each broken copy must be refused, with the message expected.
    negatives = [
        ("unknown-binary", lambda t: t.replace("BINARY: mpli-resolver", "BINARY: mpli-resolvr", 1),
         "BINARY mpli-resolvr is not an executable"),
        ("missing-file", lambda t: t.replace("./nats/nats.conf:", "./nats/nats-missing.conf:", 1),
         "nats-missing.conf does not exist"),
        ("missing-manifest", lambda t: t.replace("provider-hexacloud-fr.ttl", "provider-nowhere.ttl"),
         "provider-nowhere.ttl"),
        ("one-replica", lambda t: t.replace("image: mpli/resolver:dev\n    deploy: {replicas: 2}",
                                            "image: mpli/resolver:dev\n    deploy: {replicas: 1}"),
         "service resolver is stateless and must run two replicas"),
        ("syntax", lambda t: t.replace("services:\n", "services:\n  - broken\n", 1),
         "docker-compose config refuses the file"),
    ]
    failed_negatives = 0
    with tempfile.TemporaryDirectory() as tmp:
        for label, edit, expected in negatives:
            target = mutated(compose_dir, tmp, label, edit)
            found = check(target, "docker-compose.yml", source_dir, executables)
            if not any(expected in p for p in found):
                failed_negatives += 1
                print(f"FAIL negative check {label}: expected a problem containing '{expected}', "
                      f"got {found or 'none'}")
            else:
                print(f"ok   negative check {label}: refused ({expected})")

    services = len(compose_config(compose_dir, "docker-compose.yml")[0]["services"])
    if problems or failed_negatives:
        print(f"check_compose: {len(problems)} problem(s), {failed_negatives} negative check(s) "
              f"not refused")
        return 1
    print(f"check_compose: deploy/compose/docker-compose.yml ok ({services} services, "
          f"{len(negatives)} negative checks refused)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
