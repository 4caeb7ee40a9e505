"""A scripted wss:// and https:// server for the tests of `closenotify-cli wss://...` and
`closenotify-cli https://...`, on Debian's
python3-websockets (an implementation we did not write) where it behaves well, and on a few
lines of hand-written framing where the test needs it to misbehave. It binds 127.0.0.1 on an
ephemeral port, prints {"port": N} first, serves ONE connection (any path), prints one JSON
object saying what it saw and exits 0; after 30 s in all it prints {"error": "timeout"} and
exits 1. Received messages are reported as {"text": ...} or {"hex": ...}.

usage: scripted_web_server.py MODE CERTFILE KEYFILE
  echo                echoes every message until the client's close, which the library
                      answers; reports the messages and the client's close code and reason
  close-1001          echoes the first message, then closes 1001 "going away" and waits for
                      the client's answer; reports the answer's code and reason
  close-4000          the same with 4000 "custom"
  never-answer-close  (hand-written) echoes; at the client's close frame it reports, then
                      writes nothing and holds the connection up to 20 s (until the client
                      drops it), so that the client's --shutdown-timeout must cut it
  drop-mid-message    (hand-written) after the first message, sends the header of a 1000-byte
                      binary frame and 10 bytes of it, then drops the TCP connection with no
                      TLS close_notify
  refuse-403          (hand-written) answers the upgrade with 403 Forbidden, then closes
                      properly (close_notify)
  http-short-body     (hand-written) answers any request with Content-Length: 100 and only 10
                      bytes of body, then closes properly (close_notify)
  http-chunked        (hand-written) answers with a chunked body in three chunks, then
                      closes properly; reports the request line and the request's body
"""
import asyncio
import base64
import hashlib
import json
import ssl
import struct
import sys

import websockets

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def report(obj):
    print(json.dumps(obj), flush=True)


def item(message):
    return {"text": message} if isinstance(message, str) else {"hex": message.hex()}


def close_payload(payload):
    if len(payload) < 2:
        return {"close_code": None, "close_reason": ""}
    return {"close_code": struct.unpack("!H", payload[:2])[0],
            "close_reason": payload[2:].decode("utf-8", "replace")}


# --- on python3-websockets -------------------------------------------------------------------

async def echo(ws):
    received = []
    async for message in ws:
        received.append(message)
        await ws.send(message)
    return {"received": [item(m) for m in received], "count": len(received),
            "texts": [m for m in received if isinstance(m, str)],
            "binary_bytes": sum(len(m) for m in received if isinstance(m, bytes)),
            "close_code": ws.close_code, "close_reason": ws.close_reason}


async def close_with(ws, code, reason):
    message = await ws.recv()
    await ws.send(message)
    await ws.close(code, reason)  # waits for the client's answer (1006 if none came)
    return {"received": [item(message)], "sent_code": code, "sent_reason": reason,
            "close_code": ws.close_code, "close_reason": ws.close_reason}


async def serve_websockets(context, handle):
    done = asyncio.get_running_loop().create_future()

    async def handler(ws):
        if done.done():
            return
        try:
            done.set_result(await handle(ws))
        except Exception as e:
            done.set_exception(e)

    async with websockets.serve(handler, "127.0.0.1", 0, ssl=context,
                                ping_interval=None, max_size=None) as server:
        report({"port": server.sockets[0].getsockname()[1]})
        return await done


# --- hand-written, on asyncio streams over TLS -----------------------------------------------

async def upgrade_request(reader):
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    request_line, *lines = head.split("\r\n")
    headers = {}
    for line in lines:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return request_line, headers


async def accept(reader, writer):
    request_line, headers = await upgrade_request(reader)
    key = headers["sec-websocket-key"].encode()
    answer = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
    writer.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Accept: " + answer + "\r\n\r\n").encode())
    await writer.drain()
    return request_line


def frame_header(first_byte, length):
    if length < 126:
        return bytes([first_byte, length])
    if length < 65536:
        return bytes([first_byte, 126]) + struct.pack("!H", length)
    return bytes([first_byte, 127]) + struct.pack("!Q", length)


async def read_frame(reader):
    """One client frame: (first byte, i.e. FIN and opcode; unmasked payload)."""
    first, second = await reader.readexactly(2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", await reader.readexactly(2))[0]
    elif length == 127:
        length = struct.unpack("!Q", await reader.readexactly(8))[0]
    mask = await reader.readexactly(4) if second & 0x80 else bytes(4)
    payload = await reader.readexactly(length)
    return first, bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def next_message(reader, writer, received, echo):
    """Reads client frames, answering pings, up to a data frame (appended to received and, if
    echo, echoed unmasked as it came, fragments too: returns None) or a close frame (returns
    its payload, unanswered)."""
    while True:
        first, payload = await read_frame(reader)
        opcode = first & 0x0F
        if opcode == 0x8:
            return payload
        if opcode == 0x9:
            writer.write(frame_header(0x8A, len(payload)) + payload)
        elif opcode in (0x0, 0x1, 0x2):
            received.append(payload.decode("utf-8", "replace") if opcode == 0x1 else payload)
            if echo:
                writer.write(frame_header(first, len(payload)) + payload)
            await writer.drain()
            return None
        await writer.drain()


async def never_answer_close(reader, writer):
    await accept(reader, writer)
    received = []
    while (close := await next_message(reader, writer, received, echo=True)) is None:
        pass
    report({"received": [item(m) for m in received], **close_payload(close), "answered": False})
    try:  # write nothing for 20 s; stop early only when the client drops the connection
        await asyncio.wait_for(reader.read(), 20)  # reads to EOF, discarding anything
    except (asyncio.TimeoutError, ConnectionError, ssl.SSLError):
        pass
    return None


async def drop_mid_message(reader, writer):
    await accept(reader, writer)
    received = []
    await next_message(reader, writer, received, echo=False)
    writer.write(frame_header(0x82, 1000) + bytes(range(10)))
    await writer.drain()
    await asyncio.sleep(0.2)  # lets the TLS record leave the socket's buffer before the abort
    writer.transport.abort()  # closes the socket: no TLS close_notify
    return {"received": [item(m) for m in received], "frame_length": 1000, "payload_sent": 10,
            "aborted": True}


async def refuse_403(reader, writer):
    request_line, headers = await upgrade_request(reader)
    writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n"
                 b"Connection: close\r\n\r\nforbidden\n")
    await writer.drain()
    writer.close()  # sends close_notify
    try:  # done when the client answers close_notify or drops the connection
        await asyncio.wait_for(writer.wait_closed(), 5)
        client_closed = True
    except (asyncio.TimeoutError, ConnectionError, ssl.SSLError):
        client_closed = False
    return {"request_line": request_line, "upgrade": headers.get("upgrade"), "status": 403,
            "client_closed": client_closed}


async def read_request(reader):
    request_line, headers = await upgrade_request(reader)
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return request_line, headers, body


async def close_properly(writer):
    writer.close()  # sends close_notify
    try:
        await asyncio.wait_for(writer.wait_closed(), 5)
        return True
    except (asyncio.TimeoutError, ConnectionError, ssl.SSLError):
        return False


async def http_short_body(reader, writer):
    request_line, _, _ = await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n0123456789")
    await writer.drain()
    return {"request_line": request_line, "client_closed": await close_properly(writer)}


async def http_chunked(reader, writer):
    request_line, headers, body = await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
                 b"Connection: close\r\n\r\n6\r\nfirst \r\n7\r\nsecond \r\n6\r\nthird\n\r\n0\r\n\r\n")
    await writer.drain()
    return {"request_line": request_line, "body": body.decode("latin-1"),
            "content_type": headers.get("content-type"), "client_closed": await close_properly(writer)}


async def serve_streams(context, handle):
    done = asyncio.get_running_loop().create_future()

    async def on_connect(reader, writer):
        if done.done():
            writer.transport.abort()
            return
        try:
            done.set_result(await handle(reader, writer))
        except Exception as e:
            done.set_exception(e)

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=context)
    report({"port": server.sockets[0].getsockname()[1]})
    try:
        return await done
    finally:
        server.close()


def main():
    mode, certfile, keyfile = sys.argv[1:4]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    if mode == "echo":
        result = serve_websockets(context, echo)
    elif mode == "close-1001":
        result = serve_websockets(context, lambda ws: close_with(ws, 1001, "going away"))
    elif mode == "close-4000":
        result = serve_websockets(context, lambda ws: close_with(ws, 4000, "custom"))
    elif mode == "never-answer-close":
        result = serve_streams(context, never_answer_close)
    elif mode == "drop-mid-message":
        result = serve_streams(context, drop_mid_message)
    elif mode == "refuse-403":
        result = serve_streams(context, refuse_403)
    elif mode == "http-short-body":
        result = serve_streams(context, http_short_body)
    elif mode == "http-chunked":
        result = serve_streams(context, http_chunked)
    else:
        sys.exit("unknown mode " + mode)
    try:
        outcome = asyncio.run(asyncio.wait_for(result, 30))
    except asyncio.TimeoutError:
        report({"error": "timeout"})
        sys.exit(1)
    except Exception as e:
        report({"error": repr(e)})
        sys.exit(1)
    if outcome is not None:
        report(outcome)


if __name__ == "__main__":
    main()
