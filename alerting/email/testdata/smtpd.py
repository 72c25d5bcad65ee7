# An SMTP server for alerting/email's tests, on aiosmtpd (Debian's
# python3-aiosmtpd). Usage: smtpd.py OUTDIR [CERT KEY]. With a certificate
# it requires STARTTLS and AUTH (user "augur", password "s3cret", PLAIN or
# LOGIN); without one it offers neither. It prints its port, stores each
# message as OUTDIR/N.json and stops when its stdin closes. Recipients
# "reject@..." are refused with 550, "busy@..." with 451.
import json
import os
import socket
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

outdir = sys.argv[1]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login == b"augur" and auth_data.password == b"s3cret")
    if ok:
        session.augur_mechanism = mechanism
    return AuthResult(success=ok, handled=False)


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject@"):
            return "550 5.1.1 no such user"
        if address.startswith("busy@"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = len([f for f in os.listdir(outdir) if f.endswith(".json")])
        path = os.path.join(outdir, "%d.json" % n)
        with open(path + ".tmp", "w") as f:
            json.dump({
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "tls": session.ssl is not None,
                "mechanism": getattr(session, "augur_mechanism", ""),
                "data": envelope.content.decode("utf-8"),
            }, f)
        os.rename(path + ".tmp", path)
        return "250 OK"


s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()

kwargs = {}
if len(sys.argv) > 3:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    kwargs = dict(tls_context=ctx, require_starttls=True, authenticator=authenticator,
                  auth_required=True, auth_require_tls=True)
controller = Controller(Handler(), hostname="127.0.0.1", port=port, **kwargs)
controller.start()
print(port, flush=True)
sys.stdin.read()
controller.stop()
