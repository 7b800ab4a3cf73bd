"""Uploaded images: checked by their content (not their name or declared type) and size-limited."""

import hashlib
import io

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

# Raster formats every kiosk browser shows; SVG is refused (it can carry script).
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


def image_check(upload) -> dict:
    """The upload's bytes, type and size if it is an image we take; forms.ValidationError otherwise."""
    limit = settings.KIT_SCREEN_IMAGE_MAX_BYTES
    if upload.size > limit:
        raise forms.ValidationError(_("The image is larger than %(kb)d KB.") % {"kb": limit // 1024},
                                    code="too_large")
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise forms.ValidationError(_("The image is larger than %(kb)d KB.") % {"kb": limit // 1024},
                                    code="too_large")
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt, (width, height) = img.format, img.size
            side = settings.KIT_SCREEN_IMAGE_MAX_SIDE
            if width > side or height > side:
                raise forms.ValidationError(_("The image is larger than %(side)d pixels on a side.") % {"side": side},
                                            code="too_large")
            img.verify()
    except forms.ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise forms.ValidationError(_("The file is not a PNG, JPEG, GIF or WebP image."), code="not_image") from None
    if fmt not in FORMATS:
        raise forms.ValidationError(_("The file is not a PNG, JPEG, GIF or WebP image."), code="not_image")
    return {"data": data, "content_type": FORMATS[fmt], "width": width, "height": height,
            "sha256": hashlib.sha256(data).hexdigest()}
