"""The cost of the protocol (issue 23): MiniLM encoding in process against the same model read
through ``embedlab serve-embeddings`` on this machine (``api:minilm``: HTTP, JSON or base64, one
process to another), on the same news sentences, in the same run. Also: eight clients at once
against the server (its requests are encoded together), as sentences per second.

    .venv/bin/python bench/api_embeddings.py [--n 2000] [--rounds 2]

No goal: the ratio is what a team pays for one shared encoding machine (on one 2-core machine
both sides share the cores, so this is the protocol's cost, not a network's).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from encode import news_sentences  # bench/encode.py
from report import figure  # bench/report.py (scripts run from bench/)

EMBEDLAB = str(Path(sys.executable).with_name("embedlab"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="embedlab-api-bench-")
    port = free_port()
    server = subprocess.Popen([EMBEDLAB, "serve-embeddings", "--port", str(port), "--max-items", "1024"],
                              env={**os.environ, "EMBEDLAB_HOME": home}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 240
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit("serve-embeddings did not start") from None
                time.sleep(0.25)
        os.environ.update({"EMBEDLAB_HOME": home, "EMBEDLAB_API_BASE": f"http://127.0.0.1:{port}/v1"})
        from embedlab.backends import get_text_encoder

        local, remote = get_text_encoder("minilm"), get_text_encoder("api:minilm")
        texts = news_sentences(args.n)
        local.encode(texts[:64]), remote.encode(texts[:64])  # warm both
        times: dict[str, list[float]] = {"in process": [], "serve-embeddings": []}
        for round_ in range(args.rounds):
            batch = [f"{text} ({round_})" for text in texts]  # new texts each round: nothing cached
            for name, encoder in (("in process", local), ("serve-embeddings", remote)):
                started = time.perf_counter()
                encoder.encode(batch, batch_size=64)
                times[name].append(time.perf_counter() - started)
        ours, bare = min(times["serve-embeddings"]), min(times["in process"])

        clients, per_client = 8, max(1, args.n // 8)
        barrier = threading.Barrier(clients)

        def client(user: int) -> None:
            barrier.wait()
            remote.encode([f"user {user}: {text}" for text in texts[:per_client]], batch_size=32)

        threads = [threading.Thread(target=client, args=(user,)) for user in range(clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        together = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(30)
    load = os.getloadavg()[0]
    print(f"{args.n:,} sentences, best of {args.rounds}; load average {load:.1f}")
    print(f"{'in process':<30} {bare:7.2f} s  {args.n / bare:8.0f} sentences/s")
    print(f"{'through serve-embeddings':<30} {ours:7.2f} s  {args.n / ours:8.0f} sentences/s   {bare / ours:.2f}x of in process")
    print(f"{'8 clients at once':<30} {together:7.2f} s  {clients * per_client / together:8.0f} sentences/s")
    figure("api", f"encode {args.n:,} sentences through serve-embeddings", ours, "s", bare=bare,
           bare_name="the same MiniLM in process (same run)")
    figure("api", "8 clients at once through serve-embeddings", clients * per_client / together, "sentences/s",
           bare=args.n / bare, bare_name="in process, one caller", better="higher")


if __name__ == "__main__":
    main()
