"""Signed software updates: releases built and signed offline, verified file by file, switched atomically.

Nothing here trusts the server: it only carries the archive and the signed manifest; the release public
key built into the installed version (or a successor key it signed) decides what may run.
"""
