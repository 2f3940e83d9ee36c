"""The store interface: where the published release is queried from.

Two implementations, chosen by ``Settings.store``: the embedded store (pyoxigraph on disk, the
default) and a remote store (any SPARQL 1.1 Protocol + Graph Store Protocol server).
"""
