#!/usr/bin/env python3
"""Local stand-ins for the services the demo's connectors call (Python 3 stdlib only).

An SMTP sink (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; AUTH PLAIN/LOGIN accepted;
no TLS) and an HTTP server answering as the providers do, for the connectors in
docs/connectors.md:

  POST  /services/oauth2/token                          Salesforce token (client credentials)
  POST  /services/data/<v>/sobjects/<Object>/           Salesforce create  -> 201 {"id": ...}
  PATCH /services/data/<v>/sobjects/<Object>/<id>       Salesforce update  -> 204
  GET   /services/data/<v>/sobjects/<Object>/<id>       Salesforce get     -> 200 the record
  PUT   /3.0/lists/<list>/members/<hash>                Mailchimp upsert   -> 200 {"id": hash}
  POST  /3.0/lists/<list>/members/<hash>/tags           Mailchimp tags     -> 204
  POST  /2010-04-01/Accounts/<sid>/Messages.json        Twilio-style SMS   -> 201 {"sid": ...}
  POST  /users/track                                    Braze              -> 201
  anything else (webhooks, `http.request` stand-ins)                       -> 200 {}

Each request and each message is printed as one summary line and appended, as one JSON
line, to --http-log / --mail-log. Credentials (Authorization headers, AUTH lines) are
never logged. "ready" is printed once both servers listen.

  python3 stand-ins.py --smtp-port 2525 --http-port 8788 --http-log http.jsonl --mail-log mail.jsonl
"""

import argparse
import asyncio
import base64
import email
import email.policy
import itertools
import json
import re
import signal
import sys
import urllib.parse

MAX_LINE = 64 * 1024
MAX_BODY = 4 * 1024 * 1024
counter = itertools.count(1)


def append(path, record):
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")


# ---------------------------------------------------------------- SMTP


class SmtpSession:
    def __init__(self, args, reader, writer):
        self.args, self.reader, self.writer = args, reader, writer
        self.auth = None  # the AUTH mechanism the client used (never its credentials)
        self.reset()

    def reset(self):
        self.sender, self.recipients = None, []

    async def reply(self, line):
        self.writer.write((line + "\r\n").encode())
        await self.writer.drain()

    async def readline(self):
        line = await self.reader.readline()
        if not line:
            raise ConnectionError("closed")
        return line.decode("utf-8", "replace").rstrip("\r\n")

    async def run(self):
        await self.reply("220 stand-in ESMTP ready")
        while True:
            line = await self.readline()
            verb, _, rest = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                await self.reply("250-stand-in\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 AUTH PLAIN LOGIN")
            elif verb == "HELO":
                await self.reply("250 stand-in")
            elif verb == "AUTH":
                mechanism = rest.split(" ")[0].upper()
                if mechanism == "PLAIN" and " " not in rest:
                    await self.reply("334 ")
                    await self.readline()
                elif mechanism == "LOGIN":
                    await self.reply("334 " + base64.b64encode(b"Username:").decode())
                    await self.readline()
                    await self.reply("334 " + base64.b64encode(b"Password:").decode())
                    await self.readline()
                self.auth = mechanism
                await self.reply("235 2.7.0 accepted")
            elif verb == "MAIL":
                self.reset()
                self.sender = address(rest)
                await self.reply("250 2.1.0 ok")
            elif verb == "RCPT":
                if self.sender is None:
                    await self.reply("503 5.5.1 MAIL first")
                    continue
                self.recipients.append(address(rest))
                await self.reply("250 2.1.5 ok")
            elif verb == "DATA":
                if not self.recipients:
                    await self.reply("503 5.5.1 RCPT first")
                    continue
                await self.reply("354 end with <CRLF>.<CRLF>")
                lines = []
                while True:
                    raw = await self.readline()
                    if raw == ".":
                        break
                    lines.append(raw[1:] if raw.startswith(".") else raw)
                self.deliver("\r\n".join(lines) + "\r\n")
                await self.reply("250 2.0.0 queued")
                self.reset()
            elif verb == "RSET":
                self.reset()
                await self.reply("250 2.0.0 ok")
            elif verb == "NOOP":
                await self.reply("250 2.0.0 ok")
            elif verb == "QUIT":
                await self.reply("221 2.0.0 bye")
                return
            else:
                await self.reply("502 5.5.2 not implemented")

    def deliver(self, data):
        message = email.message_from_string(data, policy=email.policy.default)
        record = {
            "from": self.sender,
            "to": self.recipients,
            "subject": str(message.get("Subject", "")),
            "message_id": str(message.get("Message-ID", "")),
            "auth": self.auth,
            "data": data,
        }
        print(f"smtp: message {record['message_id']} to {', '.join(self.recipients)}: {record['subject']!r}", flush=True)
        append(self.args.mail_log, record)


def address(rest):
    match = re.search(r"<([^>]*)>", rest)
    return match.group(1) if match else rest.split(":", 1)[-1].strip()


async def smtp_client(args, reader, writer):
    try:
        await SmtpSession(args, reader, writer).run()
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        pass
    finally:
        writer.close()


# ---------------------------------------------------------------- HTTP


def answer(method, path, body):
    """(status, JSON body or None) for one request, as the provider would answer."""
    path = path.split("?", 1)[0]
    parts = [p for p in path.split("/") if p]
    n = next(counter)
    if method == "POST" and path.rstrip("/") == "/services/oauth2/token":
        return 200, {"access_token": "stand-in-token", "token_type": "Bearer", "expires_in": 3600}
    if len(parts) >= 5 and parts[:2] == ["services", "data"] and parts[3] == "sobjects":
        obj = parts[4]
        if method == "POST" and len(parts) == 5:
            return 201, {"id": f"00Q{n:015d}", "success": True, "errors": []}
        if method == "PATCH" and len(parts) == 6:
            return 204, None
        if method == "GET" and len(parts) == 6:
            return 200, {"attributes": {"type": obj}, "Id": parts[5]}
        return 404, [{"errorCode": "NOT_FOUND", "message": "stand-in: unknown sobjects call"}]
    if len(parts) >= 5 and parts[:2] == ["3.0", "lists"] and parts[3] == "members":
        if method == "PUT" and len(parts) == 5:
            sent = body if isinstance(body, dict) else {}
            return 200, {"id": parts[4], "email_address": sent.get("email_address"), "status": sent.get("status_if_new")}
        if method == "POST" and len(parts) == 6 and parts[5] == "tags":
            return 204, None
        return 404, {"title": "Resource Not Found", "detail": "stand-in: unknown members call"}
    if method == "POST" and len(parts) == 4 and parts[0] == "2010-04-01" and parts[3] == "Messages.json":
        return 201, {"sid": f"SM{n:032d}", "status": "queued"}
    if method == "POST" and path.rstrip("/") == "/users/track":
        return 201, {"message": "success", "attributes_processed": 1}
    return 200, {}


SECRET_FIELDS = ("client_secret", "password", "api_key")


def redacted(body):
    """The body with credentials (the Salesforce token request's client_secret) masked."""
    if isinstance(body, str) and "=" in body:
        pairs = urllib.parse.parse_qsl(body, keep_blank_values=True)
        if any(k in SECRET_FIELDS for k, _ in pairs):
            return urllib.parse.urlencode([(k, "[redacted]" if k in SECRET_FIELDS else v) for k, v in pairs])
    return body


REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 404: "Not Found", 413: "Payload Too Large"}


async def read_body(reader, headers):
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks = []
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readline()).strip():
                    pass
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readline()
    length = int(headers.get("content-length", "0") or "0")
    if length > MAX_BODY:
        raise ValueError("body too large")
    return await reader.readexactly(length) if length else b""


async def http_client(args, reader, writer):
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            request_line = line.decode("latin-1").strip()
            if not request_line:
                continue
            method, target, _version = request_line.split(" ", 2)
            headers = {}
            while True:
                raw = await reader.readline()
                if len(raw) > MAX_LINE:
                    raise ValueError("header too long")
                text = raw.decode("latin-1").rstrip("\r\n")
                if not text:
                    break
                name, _, value = text.partition(":")
                headers[name.strip().lower()] = value.strip()
            raw_body = await read_body(reader, headers)
            try:
                body = json.loads(raw_body) if raw_body else None
            except ValueError:
                body = raw_body.decode("utf-8", "replace")
            status, reply = answer(method, target, body)
            logged = {k: v for k, v in headers.items() if k not in ("authorization", "cookie")}
            record = {"method": method, "path": target, "host": headers.get("host", ""), "headers": logged,
                      "body": redacted(body), "status": status}
            print(f"http: {method} {headers.get('host', '')}{target} -> {status}", flush=True)
            append(args.http_log, record)
            payload = b"" if reply is None else json.dumps(reply).encode()
            head = f"HTTP/1.1 {status} {REASONS.get(status, 'OK')}\r\nContent-Length: {len(payload)}\r\n"
            if reply is not None:
                head += "Content-Type: application/json\r\n"
            close = headers.get("connection", "").lower() == "close"
            head += "Connection: close\r\n\r\n" if close else "\r\n"
            writer.write(head.encode() + payload)
            await writer.drain()
            if close:
                return
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        pass
    finally:
        writer.close()


# ---------------------------------------------------------------- main


async def main():
    parser = argparse.ArgumentParser(description="Local stand-ins for the demo's connectors.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=2525)
    parser.add_argument("--http-port", type=int, default=8788)
    parser.add_argument("--mail-log", help="append each message here as a JSON line")
    parser.add_argument("--http-log", help="append each HTTP request here as a JSON line")
    args = parser.parse_args()
    smtp = await asyncio.start_server(lambda r, w: smtp_client(args, r, w), args.host, args.smtp_port, limit=MAX_LINE)
    http = await asyncio.start_server(lambda r, w: http_client(args, r, w), args.host, args.http_port, limit=MAX_LINE)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"stand-ins: smtp on {args.host}:{args.smtp_port}, http on {args.host}:{args.http_port}", flush=True)
    print("ready", flush=True)
    await stop.wait()
    smtp.close()
    http.close()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except OSError as error:
        print(f"stand-ins: {error}", file=sys.stderr)
        sys.exit(2)
