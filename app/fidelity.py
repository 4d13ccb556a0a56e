"""What each image file format keeps of each image mode: the one table (format, mode) -> exact, lossy
or refused, which every writer of image files follows (`receive -o`, `--follow -o`, `-o -`, the
window's Save as, `compare --diff`), through imaging.save_image. Pillow only; no Tk, no IPC.

- EXACT: the file read back gives the same mode, size, pixel values, palette and transparency.
- LOSSY: the file is written, but reading it back gives other values or another mode (a lossy codec,
  256 colours at most, the alpha channel dropped); the writer warns.
- REFUSED: the format would lose the values entirely (32-bit floats or 16-bit values in an 8-bit
  format: Pillow would write zeros or cut them); nothing is written, and the sentence names a format
  that holds them.

tests/test_fidelity.py writes every (format, mode) pair with Pillow and reads it back, so the table
cannot drift from what Pillow does.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from PIL import Image


class Fidelity(enum.Enum):
    """What a file of some format keeps of an image of some mode."""

    EXACT = "exact"  # every pixel as it was
    LOSSY = "lossy"  # written, but its pixels (or mode) read back differ
    REFUSED = "refused"  # not written: the values would be lost entirely


# How people name Pillow's formats in sentences.
SPOKEN = {"WEBP": "WebP", "JPEG2000": "JPEG 2000", "PPM": "PNM (PPM/PGM/PBM/PFM)", "AVIF": "AVIF",
          "DIB": "BMP"}

# Each carried mode in words, for sentences about it.
MODE_WORDS = {"1": "1-bit", "L": "8-bit grey", "LA": "8-bit grey with alpha", "P": "palette",
              "RGB": "RGB", "RGBA": "RGBA", "I;16": "16-bit grey", "I": "32-bit integer",
              "F": "32-bit floating-point", "RGB;16": "16-bit RGB", "RGBA;16": "16-bit RGBA"}
# 16-bit colour (imgshare's Image16, not a Pillow mode): written by imgshare itself, as PNG or TIFF only.
WIDE_MODES = ("RGB;16", "RGBA;16")


@dataclass(frozen=True)
class Entry:
    """One cell of the table."""

    fidelity: Fidelity
    loss: str = ""  # LOSSY / REFUSED: what the format does to the mode, as a clause
    convert: str | None = None  # the mode Pillow is handed, when the format needs another


_EXACT = Entry(Fidelity.EXACT)


def _lossy(loss: str, convert: str | None = None) -> Entry:
    return Entry(Fidelity.LOSSY, loss, convert)


def _refused(loss: str) -> Entry:
    return Entry(Fidelity.REFUSED, loss)


_NO_ALPHA = "drops the alpha channel"
_EIGHT_BITS = "holds at most 8 bits per channel"
_LOSSY_CODEC = "is lossy: it changes pixel values"


def _eight_bit_refusals() -> dict[str, Entry]:
    return {mode: _refused(_EIGHT_BITS) for mode in ("I;16", "I", "F", *WIDE_MODES)}


def _wide_refusals() -> dict[str, Entry]:
    return {mode: _refused("is not written by imgshare with 16 bits per channel") for mode in WIDE_MODES}


@dataclass(frozen=True)
class FormatRule:
    """What one format keeps: a cell per carried mode, whether it keeps a palette's transparent colour,
    and the options Pillow is given to write it."""

    name: str  # Pillow's format name
    cells: Mapping[str, Entry]
    keeps_transparency: bool = False  # a palette image's transparent colour
    options: Mapping[str, object] = field(default_factory=dict)


# The table. Carried modes: 1 L LA P RGB RGBA I;16 I F RGB;16 RGBA;16. A format that is not here is not
# written.
TABLE: dict[str, FormatRule] = {rule.name: rule for rule in (
    FormatRule("PNG", {"1": _EXACT, "L": _EXACT, "LA": _EXACT, "P": _EXACT, "RGB": _EXACT, "RGBA": _EXACT,
                       "I;16": _EXACT, "I": _refused("holds integers of at most 16 bits"),
                       "F": _refused("holds no floating-point values"), "RGB;16": _EXACT, "RGBA;16": _EXACT},
               keeps_transparency=True),
    FormatRule("TIFF", {mode: _EXACT for mode in MODE_WORDS}, options={"compression": "tiff_deflate"}),
    FormatRule("BMP", {"1": _EXACT, "L": _EXACT, "LA": _lossy(_NO_ALPHA, "L"), "P": _EXACT, "RGB": _EXACT,
                       "RGBA": _lossy(_NO_ALPHA, "RGB"), **_eight_bit_refusals()}),
    FormatRule("GIF", {"1": _lossy("stores 1-bit images as 8-bit grey (mode L)"), "L": _EXACT,
                       "LA": _lossy("keeps at most 256 colours and one transparent colour"), "P": _EXACT,
                       "RGB": _lossy("keeps at most 256 colours"),
                       "RGBA": _lossy("keeps at most 256 colours and one transparent colour"),
                       **_eight_bit_refusals()},
               keeps_transparency=True, options={"optimize": False}),  # optimize would renumber a palette
    FormatRule("JPEG", {"1": _lossy(_LOSSY_CODEC, "L"), "L": _lossy(_LOSSY_CODEC),
                        "LA": _lossy(f"{_LOSSY_CODEC} and {_NO_ALPHA}", "L"),
                        "P": _lossy(_LOSSY_CODEC, "RGB"), "RGB": _lossy(_LOSSY_CODEC),
                        "RGBA": _lossy(f"{_LOSSY_CODEC} and {_NO_ALPHA}", "RGB"),
                        **_eight_bit_refusals()}),
    FormatRule("WEBP", {"1": _lossy(_LOSSY_CODEC, "RGB"), "L": _lossy(_LOSSY_CODEC, "RGB"),
                        "LA": _lossy(_LOSSY_CODEC, "RGBA"), "P": _lossy(_LOSSY_CODEC, "RGBA"),
                        "RGB": _lossy(_LOSSY_CODEC), "RGBA": _lossy(_LOSSY_CODEC), **_eight_bit_refusals()}),
    FormatRule("JPEG2000", {"1": _lossy("stores 1-bit images as 8-bit grey (mode L)", "L"), "L": _EXACT,
                            "LA": _EXACT, "P": _lossy("stores palette images as RGB", "RGB"), "RGB": _EXACT,
                            "RGBA": _EXACT, "I;16": _EXACT, "I": _refused("holds integers of at most 16 bits"),
                            "F": _refused("holds no floating-point values"), **_wide_refusals()}),
    FormatRule("PPM", {"1": _EXACT, "L": _EXACT, "LA": _lossy(_NO_ALPHA, "L"),
                       "P": _lossy("stores palette images as RGB", "RGB"), "RGB": _EXACT,
                       "RGBA": _lossy(_NO_ALPHA, "RGB"),
                       "I;16": _lossy("stores 16-bit grey as 32-bit integers (mode I)"),
                       "I": _lossy("keeps integers of 0 to 65535 only"), "F": _EXACT, **_wide_refusals()}),
    FormatRule("TGA", {"1": _EXACT, "L": _EXACT, "LA": _EXACT, "P": _EXACT, "RGB": _EXACT, "RGBA": _EXACT,
                       **_eight_bit_refusals()}),
)}
TABLE["DIB"] = FormatRule("DIB", TABLE["BMP"].cells)
TABLE["AVIF"] = FormatRule("AVIF", TABLE["WEBP"].cells)  # written only where Pillow has AVIF (11.3 on)

# Where the exact copy goes when a format cannot hold a mode: the first of these that keeps it.
_EXACT_CHOICES = (("PNG", ".png"), ("TIFF", ".tif"))


@dataclass(frozen=True)
class Verdict:
    """What writing one image in one format keeps, and how to write it."""

    fidelity: Fidelity
    format: str  # Pillow's format name
    mode: str
    loss: str = ""  # LOSSY / REFUSED: what the format does to this image, as a clause
    convert: str | None = None  # the mode to hand Pillow, if not the image's own
    options: Mapping[str, object] = field(default_factory=dict)

    @property
    def spoken(self) -> str:
        return spoken(self.format)

    def shortfall(self, *, to_file: bool = True) -> str:
        """What the format does to the image, with the advice: 'GIF keeps at most 256 colours; write
        .png to keep every value'."""
        return f"{self.spoken} {self.loss}; {exact_alternative(self.mode, to_file=to_file)}"

    def refusal(self, shown: str, *, to_file: bool = True) -> str:
        """The sentence for a REFUSED write to shown (a path as typed, or "standard output");
        to_file=False advises a format by name (a stream has no extension to change)."""
        return (f"cannot write {shown}: {self.spoken} {self.loss}, so the {MODE_WORDS.get(self.mode, self.mode)} "
                f"values of this {self.mode} image would be lost; {exact_alternative(self.mode, to_file=to_file)}")

    def warning(self, shown: str, *, to_file: bool = True) -> str:
        """The sentence for a LOSSY write to shown."""
        return f"{shown} does not keep this {self.mode} image exactly: {self.shortfall(to_file=to_file)}"


def spoken(format_name: str) -> str:
    return SPOKEN.get(format_name, format_name)


def exact_alternative(mode: str, *, to_file: bool = True) -> str:
    """'write .png to keep every value' (or .tif): the advice that ends a lossy or refused sentence;
    for a stream, the format by the name --format takes."""
    extension = exact_extension(mode)
    if to_file:
        return f"write {extension} to keep every value"
    return f"write {extension.lstrip('.')} (--format {extension.lstrip('.')}) to keep every value"


def exact_extension(mode: str) -> str:
    """The extension of a file that keeps an image of this mode exactly (.png, else .tif)."""
    for name, extension in _EXACT_CHOICES:
        if TABLE[name].cells.get(mode, _EXACT).fidelity is Fidelity.EXACT:
            return extension
    return ".tif"


def format_for_extension(extension: str) -> str | None:
    """Pillow's format name for a file extension ('.gif' -> 'GIF'), if Pillow knows it."""
    Image.init()
    return Image.registered_extensions().get(extension.lower())


def format_for_name(name: str) -> str | None:
    """Pillow's format name for what a user typed after --format: 'png', 'tif', 'JPEG', '.jpg'."""
    text = name.strip()
    by_extension = format_for_extension(text if text.startswith(".") else "." + text)
    if by_extension is not None:
        return by_extension
    Image.init()
    upper = text.upper().replace(" ", "")
    return upper if upper in Image.SAVE else None


def written_formats() -> list[str]:
    """Every format imgshare writes, by Pillow name (those in the table that this Pillow can save)."""
    Image.init()
    return [name for name in TABLE if name in Image.SAVE]


def unsupported(format_name: str | None, shown: str, typed: str, *, as_option: bool = False) -> str:
    """Why imgshare will not write a file of this format (None: not a format at all). as_option lists
    the choices as --format takes them (png, not .png)."""
    what = f"{typed} is not an image format imgshare writes" if format_name is None else (
        f"imgshare does not write {spoken(format_name)} files (it cannot promise what they keep)")
    choices = [ext.lstrip(".") if as_option else ext for ext in _main_extensions()]
    return f"cannot write {shown}: {what}; use {choices[0]} or {choices[1]} ({', '.join(choices[2:])} are written too)"


_EXTENSIONS = {"PNG": ".png", "TIFF": ".tif", "BMP": ".bmp", "DIB": ".dib", "GIF": ".gif", "JPEG": ".jpg",
               "WEBP": ".webp", "JPEG2000": ".jp2", "PPM": ".ppm", "TGA": ".tga", "AVIF": ".avif"}


def extension_for(format_name: str) -> str:
    """The usual extension of a format imgshare writes ('JPEG' -> '.jpg')."""
    return _EXTENSIONS[format_name]


def _main_extensions() -> list[str]:
    return [_EXTENSIONS[name] for name in written_formats() if name != "DIB"]


def judge(mode: str, format_name: str, *, transparency: bool = False) -> Verdict:
    """The table's verdict for an image of mode (with a palette transparency, for P) in format_name.

    A format the table does not name is REFUSED as a whole; see unsupported() for its sentence.
    """
    Image.init()
    rule = TABLE.get(format_name)
    if rule is None or format_name not in Image.SAVE:
        return Verdict(Fidelity.REFUSED, format_name, mode, "is not written by imgshare")
    entry = rule.cells.get(mode)
    if entry is None:  # not a carried mode (callers hand carried modes; be safe)
        return Verdict(Fidelity.REFUSED, format_name, mode, "cannot hold it")
    loss = entry.loss
    fidelity = entry.fidelity
    if transparency and mode == "P" and not rule.keeps_transparency and fidelity is Fidelity.EXACT:
        fidelity, loss = Fidelity.LOSSY, "drops the palette's transparent colour"
    return Verdict(fidelity, format_name, mode, loss, entry.convert, rule.options)
