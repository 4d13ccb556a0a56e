"""The bridge: a key's images on another host, through ZeroMQ (no Tk here, ever).

`imgshare bridge serve` (server.py, with a pump.py per key) publishes keys of this host;
`imgshare bridge pull` (puller.py) republishes one of them on another host under a local key, byte for
byte (wire.py is the one owner of the messages, frames.py of an image's fields and rows, both built on
imgshare's public share and receive calls). keyfiles.py and guard.py hold the CURVE security,
status.py the state in words, origin.py what `imgshare info` says about a pulled key.
Importing this package imports nothing heavy: each module imports zmq itself.
"""
