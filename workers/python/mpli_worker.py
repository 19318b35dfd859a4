#!/usr/bin/env python3
"""A minimal MPLI worker in Python 3.11, standard library only.

It speaks the NATS client protocol over a plain socket and follows docs/worker-protocol.md:
pull one WorkItem at a time from the durable consumer worker-<provider> on stream MPLI_WORK,
keep it alive while it runs (+WPI and "progress" WorkUpdates), publish exactly one outcome to
mpli.work.v1.result.<provider> through JetStream (waiting for the stream's ack), then record it in
the journal and ack the item. It runs a provider script like mpli-worker-exec (--script-dir), or,
without one, a built-in "echo" that succeeds with the item's parameters as outputs.

It shows that a worker needs no MPLI library: a socket, JSON and the rules of the document.
"""

import argparse
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

SEQUENCE_STRIDE = 100000  # sequences of delivery n start at (n - 1) * stride + 1
EX_TEMPFAIL = 75
MAX_PAYLOAD_READ = 64 * 1024 * 1024


def log(level, message, **fields):
    """One JSON object per line on stderr; never pass a secret."""
    line = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "level": level,
            "service": "worker-python", "message": message}
    line.update(fields)
    sys.stderr.write(json.dumps(line) + "\n")
    sys.stderr.flush()


class NatsError(Exception):
    pass


class Nats:
    """Just enough of the NATS client protocol: CONNECT, SUB, PUB/HPUB, MSG/HMSG, PING/PONG."""

    def __init__(self, url, user, password, inbox_prefix, name):
        host_port = url.split("://", 1)[-1].rsplit("@", 1)[-1]
        host, _, port = host_port.partition(":")
        self.sock = socket.create_connection((host or "127.0.0.1", int(port or 4222)), timeout=10)
        self.file = self.sock.makefile("rb")
        self.inbox_prefix = inbox_prefix
        self.write_lock = threading.Lock()
        self.waiters = {}  # reply subject -> Queue
        self.waiters_lock = threading.Lock()
        self.closed = threading.Event()
        self.pong = queue.Queue()
        info = self.file.readline()
        if not info.startswith(b"INFO "):
            raise NatsError("not a NATS server: %r" % info[:40])
        connect = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True,
                   "lang": "python-mpli", "version": "1", "protocol": 1, "name": name}
        if user:
            connect["user"] = user
            connect["pass"] = password
        self._send(b"CONNECT " + json.dumps(connect).encode() + b"\r\nPING\r\n")
        reply = self.file.readline()
        if reply.startswith(b"-ERR"):
            raise NatsError(reply.decode(errors="replace").strip())
        self.sock.settimeout(None)
        # sid 1: replies, routed by their inbox subject. sid 2: pulled work items, which arrive
        # under their own subject (mpli.work.v1...), so they are routed by the sid.
        self.pull_inbox = inbox_prefix + ".pull"
        self.pulled = queue.Queue()
        self._send(("SUB %s.> 1\r\nSUB %s 2\r\n" % (inbox_prefix, self.pull_inbox)).encode())
        self.reader = threading.Thread(target=self._read_loop, daemon=True)
        self.reader.start()
        self.flush()

    def _send(self, data):
        with self.write_lock:
            self.sock.sendall(data)

    def flush(self, timeout=10):
        self._send(b"PING\r\n")
        try:
            self.pong.get(timeout=timeout)
        except queue.Empty:
            raise NatsError("no PONG from the server") from None

    def close(self):
        self.closed.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def _read_loop(self):
        try:
            while not self.closed.is_set():
                line = self.file.readline()
                if not line:
                    break
                if line.startswith(b"PING"):
                    self._send(b"PONG\r\n")
                elif line.startswith(b"PONG"):
                    self.pong.put(True)
                elif line.startswith(b"-ERR"):
                    log("warn", "server error", error=line.decode(errors="replace").strip())
                elif line.startswith(b"MSG ") or line.startswith(b"HMSG "):
                    self._on_message(line)
        except OSError:
            pass
        finally:
            self.closed.set()
            with self.waiters_lock:
                for waiter in self.waiters.values():
                    waiter.put(None)
            self.pulled.put(None)

    def _on_message(self, line):
        parts = line.decode().split()
        has_headers = parts[0] == "HMSG"
        subject = parts[1]
        reply = parts[3] if len(parts) == (6 if has_headers else 5) else ""
        total = int(parts[-1])
        header_len = int(parts[-2]) if has_headers else 0
        if total > MAX_PAYLOAD_READ:
            raise NatsError("message too large")
        body = self.file.read(total + 2)[:total]
        status, headers = "", {}
        if has_headers:
            header_block = body[:header_len].decode(errors="replace").split("\r\n")
            status = header_block[0][len("NATS/1.0"):].strip()
            for header in header_block[1:]:
                if ":" in header:
                    key, _, value = header.partition(":")
                    headers[key.strip()] = value.strip()
            body = body[header_len:]
        message = {"subject": subject, "reply": reply, "status": status, "headers": headers,
                   "data": body}
        if parts[2] == "2":
            self.pulled.put(message)
            return
        with self.waiters_lock:
            waiter = self.waiters.get(subject)
        if waiter is not None:
            waiter.put(message)

    def publish(self, subject, data, reply="", headers=None):
        if headers:
            head = "NATS/1.0\r\n" + "".join("%s: %s\r\n" % kv for kv in headers.items()) + "\r\n"
            head = head.encode()
            command = "HPUB %s %s%d %d\r\n" % (subject, reply + " " if reply else "", len(head),
                                               len(head) + len(data))
            self._send(command.encode() + head + data + b"\r\n")
        else:
            command = "PUB %s %s%d\r\n" % (subject, reply + " " if reply else "", len(data))
            self._send(command.encode() + data + b"\r\n")

    def pull(self, subject, batch_request, timeout):
        """One pull request; the next message on the pull inbox (a work item, or a status such as
        408 when the pull expired), or None. One pull is outstanding at a time, so an item that
        arrives after its pull timed out here is taken by the next call, not lost."""
        if self.closed.is_set():
            raise NatsError("connection closed")
        self.publish(subject, batch_request, self.pull_inbox)
        try:
            message = self.pulled.get(timeout=timeout)
        except queue.Empty:
            return None
        if message is None:
            raise NatsError("connection closed")
        return message

    def request(self, subject, data, timeout, headers=None):
        """Publishes with a reply subject under our inbox prefix; the first reply, or None."""
        inbox = "%s.%s" % (self.inbox_prefix, uuid.uuid4().hex)
        waiter = queue.Queue()
        with self.waiters_lock:
            self.waiters[inbox] = waiter
        try:
            if self.closed.is_set():
                raise NatsError("connection closed")
            self.publish(subject, data, inbox, headers)
            try:
                message = waiter.get(timeout=timeout)
            except queue.Empty:
                return None
            if message is None:
                raise NatsError("connection closed")
            return message
        finally:
            with self.waiters_lock:
                self.waiters.pop(inbox, None)


def unix_ms():
    return int(time.time() * 1000)


def delivery_count(ack_subject):
    # $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending> (9 tokens), or the
    # newer form with <domain>.<account hash> after $JS.ACK and a random token at the end.
    tokens = ack_subject.split(".")
    try:
        return int(tokens[4] if len(tokens) == 9 else tokens[6])
    except (IndexError, ValueError):
        return 1


class Journal:
    """work_id -> {attempt: outcome}, one JSON line per outcome, fsync'd (it holds secrets)."""

    def __init__(self, state_dir):
        self.outcomes = {}
        self.file = None
        if not state_dir:
            return
        os.makedirs(state_dir, mode=0o700, exist_ok=True)
        path = os.path.join(state_dir, "journal.jsonl")
        if os.path.exists(path):
            with open(path, "rb") as existing:
                content = existing.read()
            for line in content.split(b"\n"):
                try:
                    outcome = json.loads(line)
                    self.outcomes.setdefault(outcome["work_id"], {})[int(outcome.get("attempt", 0))] = outcome
                except (ValueError, KeyError, TypeError):
                    continue
        else:
            content = b""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.file = os.fdopen(fd, "ab")
        if content and not content.endswith(b"\n"):
            self.file.write(b"\n")

    def find(self, work_id, attempt):
        by_attempt = self.outcomes.get(work_id, {})
        if attempt in by_attempt:
            return by_attempt[attempt]
        for outcome in by_attempt.values():
            if outcome.get("kind") == "succeeded" or not outcome.get("retryable", False):
                return outcome
        return None

    def append(self, outcome):
        if self.file is None:
            return
        self.file.write(json.dumps(outcome).encode() + b"\n")
        self.file.flush()
        os.fsync(self.file.fileno())
        self.outcomes.setdefault(outcome["work_id"], {})[outcome["attempt"]] = outcome


def resolve_script(script_dir, artifact):
    if not artifact:
        raise ValueError("the work item names no script (artifact)")
    if artifact.startswith("/") or ".." in artifact.split("/"):
        raise ValueError("the script path must stay inside the script directory")
    base = os.path.realpath(script_dir)
    path = os.path.realpath(os.path.join(base, artifact))
    if not path.startswith(base + os.sep):
        raise ValueError("the script path must stay inside the script directory")
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise ValueError("script %s is not an executable file" % artifact)
    return path


def run_script(script_dir, item, raw_json):
    """The exec contract: stdin JSON, env, stdout {"outputs","secrets","message"}, exit codes."""
    try:
        path = resolve_script(script_dir, item.get("artifact", ""))
    except ValueError as error:
        return {"kind": "failed", "message": str(error), "retryable": False}
    env = {k: v for k, v in os.environ.items() if not k.startswith("MPLI_NATS_")}
    env.update({"MPLI_OPERATION": item["operation"], "MPLI_WORK_ID": item["work_id"],
                "MPLI_ORDER_ID": item.get("order_id", "")})
    deadline = int(item.get("deadline_unix_ms", 0) or 0)
    timeout = None if deadline <= 0 else max(0.0, (deadline - unix_ms()) / 1000.0)
    process = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        out, err = process.communicate(raw_json, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return {"kind": "failed", "message": "the script did not finish by the deadline",
                "retryable": True}
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # whatever it left running
        except ProcessLookupError:
            pass
    document = None
    try:
        document = json.loads(out) if out.strip() else {}
    except ValueError:
        pass
    if process.returncode == 0:
        if not isinstance(document, dict):
            return {"kind": "failed", "message": "the script's output is not a JSON object",
                    "retryable": False}
        outcome = {"kind": "succeeded", "message": str(document.get("message", ""))}
        for field in ("outputs", "secrets"):
            values = document.get(field) or {}
            if not isinstance(values, dict) or any(isinstance(v, (dict, list)) for v in values.values()):
                return {"kind": "failed", "message": "the script's %s must map names to strings" % field,
                        "retryable": False}
            outcome[field] = {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}
        return outcome
    lines = [line for line in err.decode(errors="replace").splitlines() if line.strip()]
    message = lines[-1].strip() if lines else "the script exited with %d" % process.returncode
    return {"kind": "failed", "message": message, "retryable": process.returncode == EX_TEMPFAIL}


def echo(item):
    outputs = dict(item.get("parameters", {}))
    outputs["echo"] = item["operation"]
    return {"kind": "succeeded", "outputs": outputs, "message": "echoed"}


class Worker:
    def __init__(self, args, password):
        self.args = args
        self.password = password
        self.provider = args.provider
        self.stopping = threading.Event()
        self.journal = Journal(args.state_dir)
        self.nats = None

    def js_publish(self, update):
        """JetStream publish of a WorkUpdate; returns once the stream has stored it."""
        msg_id = "%s.%d.%d" % (update["work_id"], update["attempt"], update["sequence"])
        data = json.dumps(update).encode()
        headers = {"Nats-Msg-Id": msg_id, "Content-Type": "application/json"}
        reply = self.nats.request("mpli.work.v1.result." + self.provider, data, 5, headers)
        if reply is None:
            raise NatsError("no JetStream ack for " + msg_id)
        if reply["status"]:
            raise NatsError("JetStream publish: " + reply["status"])
        ack = json.loads(reply["data"] or b"{}")
        if "error" in ack:
            raise NatsError("JetStream publish: %s" % ack["error"].get("description"))

    def handle(self, message):
        ack_subject = message["reply"]
        try:
            item = json.loads(message["data"])
            if not isinstance(item, dict) or not item.get("work_id") or not item.get("operation"):
                raise ValueError("not a work item")
            attempt = int(item.get("attempt", 0))
            if attempt < 1:
                raise ValueError("attempt must be 1 or more")
        except (ValueError, TypeError) as error:
            log("error", "malformed work item dropped", error=str(error))
            self.nats.publish(ack_subject, b"+TERM")
            return
        if item.get("provider_id") != self.provider:
            log("error", "work item for another provider dropped", work_id=item["work_id"])
            self.nats.publish(ack_subject, b"+TERM")
            return
        work_id = item["work_id"]
        base = (delivery_count(ack_subject) - 1) * SEQUENCE_STRIDE
        state = {"sequence": base}
        lock = threading.Lock()

        def next_sequence():
            with lock:
                state["sequence"] += 1
                return state["sequence"]

        known = self.journal.find(work_id, attempt)
        if known is not None:
            outcome = dict(known)
            if outcome["attempt"] != attempt:
                outcome.update(attempt=attempt, sequence=next_sequence())
            self.finish(ack_subject, outcome, journal=known["attempt"] != attempt)
            return
        log("info", "work started", work_id=work_id, attempt=attempt, operation=item["operation"])
        done = threading.Event()

        def keep_alive():
            while not done.wait(self.args.progress_interval):
                try:
                    self.nats.publish(ack_subject, b"+WPI")
                    self.js_publish({"work_id": work_id, "attempt": attempt,
                                     "provider_id": self.provider, "kind": "progress",
                                     "message": "working", "sequence": next_sequence()})
                except (NatsError, OSError) as error:
                    log("warn", "progress not sent", error=str(error))

        ticker = threading.Thread(target=keep_alive, daemon=True)
        ticker.start()
        try:
            if self.args.script_dir:
                result = run_script(self.args.script_dir, item, message["data"])
            else:
                result = echo(item)
        except Exception as error:  # a bug here fails the item, it does not kill the worker
            result = {"kind": "failed", "message": "worker error: %s" % error, "retryable": False}
        finally:
            done.set()
            ticker.join()
        outcome = {"work_id": work_id, "attempt": attempt, "provider_id": self.provider,
                   "kind": result["kind"], "message": result.get("message", ""),
                   "sequence": next_sequence()}
        if result["kind"] == "succeeded":
            outcome["outputs"] = result.get("outputs", {})
            outcome["secrets"] = result.get("secrets", {})
        else:
            outcome["retryable"] = bool(result.get("retryable"))
        self.finish(ack_subject, outcome, journal=True)

    def finish(self, ack_subject, outcome, journal):
        # Order: outcome stored by the stream -> journal -> ack. A crash in between re-runs or
        # republishes; the stream drops a republished Nats-Msg-Id.
        for attempt in range(8):
            try:
                self.js_publish(outcome)
                break
            except (NatsError, OSError) as error:
                log("warn", "outcome not published yet", work_id=outcome["work_id"],
                    error=str(error))
                time.sleep(min(4.0, 0.25 * 2 ** attempt))
        else:
            log("error", "outcome not published; the item will be redelivered",
                work_id=outcome["work_id"])
            return
        if journal:
            self.journal.append(outcome)
        if self.nats.request(ack_subject, b"+ACK", 5) is None:
            log("warn", "ack not confirmed; the journal answers a redelivery",
                work_id=outcome["work_id"])
        log("info", "work finished", work_id=outcome["work_id"], attempt=outcome["attempt"],
            kind=outcome["kind"], retryable=outcome.get("retryable", False))

    def run(self):
        pull_subject = "$JS.API.CONSUMER.MSG.NEXT.MPLI_WORK.worker-" + self.provider
        waiting_logged = False
        while not self.stopping.is_set():
            try:
                if self.nats is None or self.nats.closed.is_set():
                    self.nats = Nats(self.args.nats_url, self.args.nats_user, self.password,
                                     "_INBOX_" + self.provider, "mpli-worker-python-" + self.provider)
                    # A URL may carry credentials (nats://user:password@host): never log them.
                    log("info", "connected", nats_url=self.args.nats_url.rsplit("@", 1)[-1])
                wait = self.args.fetch_wait
                request = json.dumps({"batch": 1, "expires": int(wait * 1e9)}).encode()
                message = self.nats.pull(pull_subject, request, wait + 2)
                if message is None or message["status"].startswith(("404", "408", "409")):
                    continue  # nothing to do (409: the server cut the pull short)
                if message["status"].startswith("503") or not message["reply"]:
                    if not waiting_logged:
                        log("info", "waiting for the work consumer", consumer="worker-" + self.provider,
                            status=message["status"])
                        waiting_logged = True
                    self.stopping.wait(1)
                    continue
                waiting_logged = False
                self.handle(message)
            except (NatsError, OSError) as error:
                log("warn", "NATS unavailable; retrying", error=str(error))
                if self.nats is not None:
                    self.nats.close()
                self.nats = None
                self.stopping.wait(1)
        if self.nats is not None:
            self.nats.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    env = os.environ.get
    parser.add_argument("--nats-url", default=env("MPLI_NATS_URL", "nats://127.0.0.1:4222"))
    parser.add_argument("--nats-user", default=env("MPLI_NATS_USER", ""))
    parser.add_argument("--nats-password-file", default=env("MPLI_NATS_PASSWORD_FILE", ""))
    parser.add_argument("--provider", default=env("MPLI_PROVIDER_ID", ""))
    parser.add_argument("--state-dir", default=env("MPLI_STATE_DIR", ""))
    parser.add_argument("--script-dir", default="", help="without it: the built-in echo")
    parser.add_argument("--progress-interval", type=float, default=5.0, help="seconds")
    parser.add_argument("--fetch-wait", type=float, default=1.0, help="seconds")
    args = parser.parse_args()
    if not args.provider or args.provider == "result" or any(c in args.provider for c in ".*> "):
        parser.error("--provider: one subject token, not \"result\"")
    password = ""
    if args.nats_password_file:
        with open(args.nats_password_file) as f:
            password = f.read().rstrip("\r\n")
    worker = Worker(args, password)

    def stop(signum, _frame):
        log("info", "stopping: finishing the item in hand", signal=signum)
        worker.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log("info", "worker started", provider_id=args.provider, journal=bool(args.state_dir))
    worker.run()
    log("info", "worker stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
