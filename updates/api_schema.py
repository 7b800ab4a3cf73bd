"""The OpenAPI parts of the release endpoints and the heartbeat's `update`, merged into the terminal API schema."""

from terminals.api.openapi import SIGNED, SIGNED_ERRORS, _error_response, _json
from terminals.errors import Code

UPDATE_REPORT = {
    "type": "object", "required": ["version", "state"],
    "description": "The last update's outcome as the kiosk saw it.",
    "properties": {
        "version": {"type": "string", "maxLength": 27, "pattern": "^[^\\u0000-\\u001f\\u007f]*$",
                    "description": "the release being (or last) installed (no control characters)"},
        "state": {"enum": ["pending", "downloading", "verified", "switched", "running", "rolled_back", "failed"]},
        "reason": {"type": "string", "maxLength": 255, "pattern": "^[^\\u0000-\\u001f\\u007f]*$",
                   "description": "why it failed or rolled back: a stable code, a colon, the detail (no control characters)"},
    },
}

VERSION_PARAM = {"name": "version", "in": "path", "required": True,
                 "schema": {"type": "string", "pattern": "^[0-9]{1,6}(\\.[0-9]{1,6}){0,3}$"}}

PATHS = {
    "/releases/{version}/manifest": {"get": {
        "summary": "The release's detached signed manifest (verify it with the built-in release key).",
        "operationId": "getReleaseManifest",
        "security": SIGNED,
        "parameters": [VERSION_PARAM],
        "responses": {
            "200": _json({"type": "object", "required": ["manifest", "signature", "chain"]},
                         "{manifest: {format, version, min_version, archive: {size, sha256}, files: [...]}, "
                         "signature, chain}"),
            "404": _error_response(Code.NOT_FOUND),
            **SIGNED_ERRORS,
        },
    }},
    "/releases/{version}/archive": {"get": {
        "summary": "The release archive (tar.gz); send Range: bytes=FIRST-LAST to resume.",
        "operationId": "getReleaseArchive",
        "security": SIGNED,
        "parameters": [VERSION_PARAM, {"name": "Range", "in": "header", "required": False,
                                       "schema": {"type": "string", "example": "bytes=1048576-2097151"}}],
        "responses": {
            "200": {"description": "The whole archive.",
                    "content": {"application/gzip": {"schema": {"type": "string", "format": "binary"}}}},
            "206": {"description": "The requested range; Content-Range: bytes FIRST-LAST/SIZE.",
                    "content": {"application/gzip": {"schema": {"type": "string", "format": "binary"}}}},
            "404": _error_response(Code.NOT_FOUND),
            "416": _error_response(Code.RANGE_NOT_SATISFIABLE),
            **SIGNED_ERRORS,
        },
    }},
}
