"""A real SMTP server on loopback for the fault tests: it accepts mail, records it, and can be stopped and started."""

import socketserver
import threading
import time
from email import message_from_bytes
from email.message import Message


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Speaks the part of SMTP that smtplib uses: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        self.reply("220 loopback ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 loopback")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                self.server.owner.receive(self._read_data())
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")

    def _read_data(self) -> bytes:
        lines = []
        while True:
            line = self.rfile.readline()
            if line in (b".\r\n", b".\n", b""):
                return b"".join(lines)
            lines.append(line[1:] if line.startswith(b"..") else line)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class LoopbackSMTPServer:
    """Start it, point MAIL_SERVER/MAIL_PORT at it, stop it to simulate an outage, start it again on the same port."""

    def __init__(self, delay_seconds: float = 0.0) -> None:
        self.port = 0
        self.delay_seconds = delay_seconds
        self.received: list[Message] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def receive(self, data: bytes) -> None:
        """Keep a delivered message (after the configured delay, to let concurrent senders interleave)."""
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        with self._lock:
            self.received.append(message_from_bytes(data))

    def subjects(self) -> list[str]:
        """Subjects of everything received, in arrival order."""
        with self._lock:
            return [str(message["Subject"]) for message in self.received]

    def start(self) -> "LoopbackSMTPServer":
        self._server = _Server(("127.0.0.1", self.port), _SMTPHandler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = None
