"""WebSocket peers for the web tests, on Debian's python3-websockets (an implementation we did
not write). Each mode prints one JSON object on stdout; "open" is printed first where the
test must know the connection is up before it acts.

usage: ws_peer.py MODE URL CAFILE [ARG]
  echo        text and binary echoed, then our close 1000
  bulk MIB    MIB MiB of binary each way at once, in 1 MiB messages; SHA-256 of both ways
  wait-close  says "open", then waits for the server to close
  quiet SECS  stays connected SECS seconds (the library answers pings), then one echo and close 1000
"""
import asyncio
import hashlib
import json
import os
import ssl
import sys

import websockets


def context(cafile):
    return ssl.create_default_context(cafile=cafile)


async def echo(url, cafile):
    async with websockets.connect(url, ssl=context(cafile)) as ws:
        await ws.send("hello, closenotify")
        text = await ws.recv()
        await ws.send(b"\x00\x01\x02binary\xff")
        binary = await ws.recv()
        await ws.close(1000, "done")
    return {"text": text, "binary_ok": binary == b"\x00\x01\x02binary\xff",
            "close_code": ws.close_code, "close_reason": ws.close_reason}


async def bulk(url, cafile, mib):
    chunk = 1024 * 1024
    sent, received = hashlib.sha256(), hashlib.sha256()
    total = mib * chunk
    async with websockets.connect(url, ssl=context(cafile), max_size=chunk, max_queue=4) as ws:
        async def sender():
            for _ in range(mib):
                data = os.urandom(chunk)
                sent.update(data)
                await ws.send(data)

        async def receiver():
            got = 0
            while got < total:
                data = await ws.recv()
                received.update(data)
                got += len(data)
            return got

        _, got = await asyncio.gather(sender(), receiver())
        await ws.close(1000)
    return {"sent": sent.hexdigest(), "received": received.hexdigest(), "bytes": got,
            "close_code": ws.close_code}


async def wait_close(url, cafile):
    async with websockets.connect(url, ssl=context(cafile)) as ws:
        print("open", flush=True)
        try:
            while True:
                await ws.recv()
        except websockets.ConnectionClosed:
            pass
    return {"close_code": ws.close_code, "close_reason": ws.close_reason}


async def quiet(url, cafile, seconds):
    async with websockets.connect(url, ssl=context(cafile), ping_interval=None) as ws:
        await asyncio.sleep(seconds)
        await ws.send("still here")
        reply = await ws.recv()
        await ws.close(1000)
    return {"reply": reply, "close_code": ws.close_code}


def main():
    mode, url, cafile = sys.argv[1:4]
    arg = sys.argv[4] if len(sys.argv) > 4 else None
    if mode == "echo":
        result = echo(url, cafile)
    elif mode == "bulk":
        result = bulk(url, cafile, int(arg))
    elif mode == "wait-close":
        result = wait_close(url, cafile)
    elif mode == "quiet":
        result = quiet(url, cafile, float(arg))
    else:
        sys.exit("unknown mode " + mode)
    print(json.dumps(asyncio.run(asyncio.wait_for(result, 120))), flush=True)


if __name__ == "__main__":
    main()
