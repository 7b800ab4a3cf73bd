"""The release public keys this version of the kiosk trusts (raw Ed25519, base64).

Only public keys live here; the private release key is kept offline (docs/kiosk/updates.md). A release
signed by a successor key is accepted when the signed manifest carries that key signed by one of these.
A network that signs its own releases puts its own public key here before it installs the first kiosk.
"""

RELEASE_PUBLIC_KEYS: list[str] = [
    "7y+TJJjmIRwurL8rdRHtr4GTzvrqNI7Okmv+rBJoMGQ=",  # placeholder of the source tree: its private half was never kept
]
