#!/usr/bin/env python3
"""relay_asyncio.py: a UDP relay in a few lines of Python asyncio, for the
benchmark (bench/bench.py, scenario 7): one upstream socket per client,
replies sent back to that client from the bound port.

    python3 bench/relay_asyncio.py [--port-file FILE] [-t SECS] HOST PORT

Binds 127.0.0.1 port 0 and writes the port to FILE; stops after SECS
(default 60) or at SIGTERM.
"""
import argparse
import asyncio
import os
import signal


class Upstream(asyncio.DatagramProtocol):
    def __init__(self, front, client):
        self.front, self.client = front, client

    def datagram_received(self, data, addr):
        self.front.transport.sendto(data, self.client)


class Front(asyncio.DatagramProtocol):
    def __init__(self, service):
        self.service, self.ups, self.transport = service, {}, None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        up = self.ups.get(addr)
        if up is None:
            up = self.ups[addr] = []    # datagrams before it is connected
            asyncio.ensure_future(self.connect(addr))
        if isinstance(up, list):
            up.append(data)
        else:
            up.sendto(data)

    async def connect(self, addr):
        loop = asyncio.get_running_loop()
        tr, _ = await loop.create_datagram_endpoint(
            lambda: Upstream(self, addr), remote_addr=self.service)
        for d in self.ups[addr]:
            tr.sendto(d)
        self.ups[addr] = tr


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file")
    ap.add_argument("-t", type=float, default=60)
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    a = ap.parse_args()
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, done.cancel)
    tr, _ = await loop.create_datagram_endpoint(
        lambda: Front((a.host, a.port)), local_addr=("127.0.0.1", 0))
    if a.port_file:
        tmp = "%s.%d.tmp" % (a.port_file, os.getpid())
        with open(tmp, "w") as f:
            f.write("%d\n" % tr.get_extra_info("sockname")[1])
        os.rename(tmp, a.port_file)
    try:
        await asyncio.wait_for(done, a.t)
    except (asyncio.CancelledError, asyncio.TimeoutError):
        pass


if __name__ == "__main__":
    asyncio.run(main())
