"""``python -m cnn_core.worker --address PATH``: the TensorFlow worker, started by the server.

It connects back to the server's listener at ``PATH`` with the secret the server put in
``$CNN_EXPLORER_WORKER_KEY`` and serves until told to quit or until the server goes away
(:mod:`cnn_core.worker.serve`).
"""

from __future__ import annotations

import argparse
import os
from multiprocessing.connection import Client

from ..protocol import AUTHKEY_ENV


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True, help="the server's listener (a socket path)")
    args = parser.parse_args()
    key = bytes.fromhex(os.environ.pop(AUTHKEY_ENV))
    conn = Client(args.address, family="AF_UNIX", authkey=key)
    from .serve import serve  # TensorFlow is imported from here on, after the server knows we are up

    serve(conn)


if __name__ == "__main__":
    main()
