"""Chain access: compiling and deploying the registries, typed clients, revert decoding, sending.

Nothing here assumes anvil except :mod:`trustshare.chain.devchain`, the dev-only helper that
starts one.
"""
