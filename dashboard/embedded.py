"""The embedded store: fakeredis in this process, handed each command's arguments directly.

A redis-py client packs every argument into the wire protocol and fakeredis parses it back, in
Python, byte by byte: for the demo's first read (hundreds of thousands of hash fields) that
was half of the time. The same fakeredis server runs the same commands; only the wire is gone.
"""

import fakeredis
from fakeredis import FakeRedisConnection


class _Command(list):
    """One command's arguments, encoded: what fakeredis's parser would have produced."""


class DirectConnection(FakeRedisConnection):
    """A fakeredis connection that skips packing and parsing the wire protocol."""

    def pack_command(self, *args):
        return [self._command(args)]

    def pack_commands(self, commands):
        return [self._command(args) for args in commands]

    def send_command(self, *args, **kwargs):
        self.send_packed_command([self._command(args)])

    def send_packed_command(self, command, check_health=True):
        if not self._sock:
            self.connect()
        if not self._server.connected:  # as fakeredis's socket says when its server is down
            raise self._connection_error_class("fakeredis server disconnected")
        for item in [command] if isinstance(command, bytes | str) else command:
            if isinstance(item, _Command):
                self._sock._process_command(item)  # what its parser calls with each command
            else:
                self._sock.sendall(item)

    def _command(self, args: tuple) -> _Command:
        if isinstance(args[0], str):  # 'CONFIG GET' is two arguments, as redis-py sends it
            args = (*args[0].encode().split(), *args[1:])
        return _Command(map(self.encoder.encode, args))


def embedded_client() -> fakeredis.FakeRedis:
    """A client of a new in-process store, answering str (as socwall's clients do)."""
    return fakeredis.FakeRedis(decode_responses=True, connection_class=DirectConnection)
