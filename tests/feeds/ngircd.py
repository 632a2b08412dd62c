"""Debian's ngircd as a test IRC server on a free loopback port, and a second client that talks.

ngircd (apt package `ngircd`) runs in the foreground with its own config: PAM, ident and DNS
off, no outgoing links, no connection limit per address, a predefined channel #soc that
exists at once and again after a restart.
"""

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import free_port

CONFIG = """[Global]
\tName = irc.socwall.test
\tInfo = socwall test fixture
\tListen = 127.0.0.1
\tPorts = {port}
\tMotdPhrase = socwall test
\tPidFile = {dir}/ngircd.pid
[Limits]
\tPingTimeout = 120
\tPongTimeout = 20
\tMaxConnectionsIP = 0
\tMaxJoins = 0
[Options]
\tPAM = no
\tIdent = no
\tDNS = no
\tConnectIPv6 = no
\tConnectIPv4 = no
\tIncludeDir = {dir}/empty.d
[Channel]
\tName = #soc
\tTopic = socwall test channel
"""


TLS = """[SSL]
	CertFile = {dir}/cert.pem
	KeyFile = {dir}/key.pem
	Ports = {port}
"""


class Ngircd:
    """`ngircd -n -f CONF` on a free port; restart() keeps the port. With `tls`, a TLS port
    too (`tls_port`), with a self-signed certificate for 127.0.0.1 (`cert`)."""

    def __init__(self, directory: Path, tls: bool = False):
        if shutil.which("ngircd") is None:
            pytest.fail("the IRC tests need Debian's ngircd (apt-get install ngircd)")
        self.directory, self.port = directory, free_port()
        (directory / "empty.d").mkdir(exist_ok=True)
        self.conf = directory / "ngircd.conf"
        text = CONFIG.format(port=self.port, dir=directory)
        if tls:
            self.tls_port, self.cert = free_port(), directory / "cert.pem"
            command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                       "-subj", "/CN=irc.socwall.test", "-addext", "subjectAltName=IP:127.0.0.1",
                       "-keyout", str(directory / "key.pem"), "-out", str(self.cert)]  # fmt: skip
            subprocess.run(command, check=True, capture_output=True)
            text += TLS.format(port=self.tls_port, dir=directory)
        self.conf.write_text(text)
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        self.process = subprocess.Popen(["ngircd", "-n", "-f", str(self.conf)], **quiet)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                assert self.process.poll() is None, "ngircd exited at start"
                time.sleep(0.05)
        pytest.fail("ngircd did not listen within 10 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()


class Talker:
    """A second IRC client (raw socket) that waits for a nick in #soc, then says lines."""

    def __init__(self, port: int, nick: str):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.lines = self.sock.makefile("rb")
        self.send(f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n".encode())
        self._until(b" 001 ")
        self.send(b"JOIN #soc\r\n")
        self._until(b" 366 ")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _until(self, marker: bytes) -> bytes:
        while True:
            line = self.lines.readline()
            assert line, "the server closed the connection"
            if line.startswith(b"PING"):
                self.send(b"PONG" + line[4:])
            if marker in line:
                return line

    def wait_for(self, nick: str, timeout: float = 30) -> None:
        """Until `nick` is in #soc (NAMES, reply 353 only: the server's name has 'socwall')."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.send(b"NAMES #soc\r\n")
            names = []
            while b" 366 " not in (line := self._until(b" ")):
                if b" 353 " in line:
                    names += line.split(b":", 2)[2].split()
            if nick.encode() in [n.lstrip(b"~&@%+") for n in names]:
                return
            time.sleep(0.2)
        pytest.fail(f"{nick} did not join #soc within {timeout} s")

    def say(self, *lines: bytes) -> None:
        self.send(b"".join(b"PRIVMSG #soc :" + line + b"\r\n" for line in lines))

    def close(self) -> None:
        try:
            self.send(b"QUIT\r\n")
        except OSError:
            pass
        self.sock.close()
