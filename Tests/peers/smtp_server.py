"""A real SMTP server on loopback for the mail tests (PyPI aiosmtpd), or a deliberately broken one.

usage: smtp_server.py MODE OUTDIR
MODE: plain | slow | starttls | implicit | inject | garbage
  plain     aiosmtpd without TLS; AUTH PLAIN/LOGIN (user rob, password secret) allowed in the clear
  slow      plain, but each message is stored at once and its 250 reply comes only after 60 seconds
  starttls  aiosmtpd offering STARTTLS, requiring it before MAIL and before AUTH
  implicit  aiosmtpd behind TLS from the first byte
  inject    a raw server that answers STARTTLS with "220" and a second, injected reply in the same packet
  garbage   a raw server that greets with a line that is not SMTP
TLS modes make a self-signed certificate for "localhost" in OUTDIR/cert.pem (the client trusts it).
Recipients busy@… get 451, nobody@… get 550. Each message received is OUTDIR/NNNN.eml (the bytes of DATA after
dot-unstuffing) and OUTDIR/NNNN.json (envelope, TLS, login). Prints "READY PORT", runs until stdin closes.
"""
import asyncio
import json
import os
import socket
import ssl
import subprocess
import sys
import threading

mode, outdir = sys.argv[1], sys.argv[2]
os.makedirs(outdir, exist_ok=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tls_context():
    cert, key = os.path.join(outdir, "cert.pem"), os.path.join(outdir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def wait_for_stdin():
    sys.stdin.read()


port = free_port()

if mode in ("plain", "slow", "starttls", "implicit"):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.startswith("busy@"):
                return "451 4.3.0 mailbox busy, try again later"
            if address.startswith("nobody@"):
                return "550 5.1.1 no such user here"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            n = len([f for f in os.listdir(outdir) if f.endswith(".eml")])
            with open(os.path.join(outdir, "%04d.eml" % n), "wb") as f:
                f.write(envelope.original_content)
            login = None
            if session.auth_data is not None and isinstance(session.auth_data, LoginPassword):
                login = session.auth_data.login.decode()
            with open(os.path.join(outdir, "%04d.json" % n), "w") as f:
                json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos, "mail_options": envelope.mail_options,
                           "tls": session.ssl is not None, "login": login}, f)
            if mode == "slow":
                await asyncio.sleep(60)
            return "250 2.0.0 Ok: queued as TB%04d" % n

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"rob" and auth_data.password == b"secret"
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    kwargs = dict(hostname="127.0.0.1", port=port, authenticator=authenticator, decode_data=False)
    if mode in ("plain", "slow"):
        kwargs.update(auth_require_tls=False)
    elif mode == "starttls":
        kwargs.update(tls_context=tls_context(), require_starttls=True, auth_require_tls=True)
    else:
        kwargs.update(ssl_context=tls_context(), auth_require_tls=False)
    controller = Controller(Handler(), **kwargs)
    controller.start()
    print("READY %d" % port, flush=True)
    wait_for_stdin()
    controller.stop()
else:
    if mode == "inject":
        tls_context()

    async def serve(reader, writer):
        if mode == "garbage":
            writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        writer.write(b"220 localhost ESMTP\r\n")
        while True:
            line = await reader.readline()
            if not line:
                break
            word = line.strip().upper()
            if word.startswith(b"EHLO"):
                writer.write(b"250-localhost\r\n250 STARTTLS\r\n")
            elif word == b"STARTTLS":
                writer.write(b"220 2.0.0 go ahead\r\n250 injected before TLS\r\n")
            else:
                writer.write(b"502 5.5.1 not here\r\n")
            await writer.drain()
        writer.close()

    async def main():
        server = await asyncio.start_server(serve, "127.0.0.1", port)
        print("READY %d" % port, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, wait_for_stdin)
        server.close()

    asyncio.run(main())
