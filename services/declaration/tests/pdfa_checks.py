"""PDF/A-2U and tagged-PDF checks, read with qpdf (pikepdf): the validator of the receipt's tests.

veraPDF, the reference PDF/A validator, is a Java application that no package registry reachable here ships
(neither PyPI, npm nor Debian), so the rules of ISO 19005-2 (level U) and the tagged-PDF rules the receipt relies on
are checked here, on the file's objects as qpdf parses them. ``problems(data)`` lists every rule broken; an empty
list is a pass. What is checked:

- syntax: qpdf finds no damage; PDF 1.7 header and the binary comment line; a trailer /ID; no encryption;
- metadata: an XMP stream (unfiltered, as PDF/A readers expect it) identifying PDF/A part 2, level U; its
  dates and title; if an Info dictionary exists, its title agrees;
- colour: one /GTS_PDFA1 output intent with an embedded RGB ICC profile (N 3, a real ICC header);
- fonts: every font on every page is embedded (FontFile/2/3), never one of the 14 standard fonts without a file,
  and each has a ToUnicode map (level U: text extractable as Unicode);
- structure: the catalog's /MarkInfo /Marked true, /Lang, and a structure tree whose elements all reach the root;
  every text-showing operator of every page lies in marked content — an MCID of a structure element, or an
  /Artifact — and every MCID in a page's content is the one its parent-tree entry and its element name, both ways.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from xml.etree import ElementTree

import pikepdf

STANDARD_FONTS = {
    "Courier",
    "Courier-Bold",
    "Courier-Oblique",
    "Courier-BoldOblique",
    "Helvetica",
    "Helvetica-Bold",
    "Helvetica-Oblique",
    "Helvetica-BoldOblique",
    "Times-Roman",
    "Times-Bold",
    "Times-Italic",
    "Times-BoldItalic",
    "Symbol",
    "ZapfDingbats",
}
TEXT_SHOWING = {"Tj", "TJ", "'", '"'}
NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
}


def problems(data: bytes) -> list[str]:
    found: list[str] = []
    if not re.match(rb"%PDF-1\.[4-7]\r?\n%[\x80-\xff]{4}", data):
        found.append("header: %PDF-1.x then a comment of four bytes above 127 expected")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        found += [f"qpdf: {p}" for p in pdf.check_pdf_syntax()]
        if pdf.is_encrypted:
            found.append("encrypted")
        if "/ID" not in pdf.trailer:
            found.append("trailer without /ID")
        found += _metadata(pdf)
        found += _output_intent(pdf)
        found += _fonts(pdf)
        found += _structure(pdf)
    return found


def xmp(pdf: pikepdf.Pdf) -> ElementTree.Element | None:
    metadata = pdf.Root.get("/Metadata")
    if metadata is None:
        return None
    return ElementTree.fromstring(re.sub(rb"<\?xpacket[^>]*\?>", b"", metadata.read_raw_bytes()).strip())


def _metadata(pdf: pikepdf.Pdf) -> list[str]:
    metadata = pdf.Root.get("/Metadata")
    if metadata is None:
        return ["no XMP metadata stream in the catalog"]
    found = []
    if "/Filter" in metadata:
        found.append("the XMP stream is filtered")
    tree = xmp(pdf)
    assert tree is not None
    part = tree.findtext(".//pdfaid:part", namespaces=NS)
    conformance = tree.findtext(".//pdfaid:conformance", namespaces=NS)
    if (part, conformance) != ("2", "U"):
        found.append(f"XMP identifies PDF/A {part}{conformance}, not 2U")
    for name in ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"):
        if not tree.findtext(f".//{name}", namespaces=NS):
            found.append(f"XMP without {name}")
    title = tree.findtext(".//dc:title/rdf:Alt/rdf:li", namespaces=NS)
    if not title:
        found.append("XMP without dc:title")
    info = pdf.trailer.get("/Info")
    if info is not None and "/Title" in info and str(info.Title) != title:
        found.append("the Info dictionary's title differs from the XMP's")
    return found


def _output_intent(pdf: pikepdf.Pdf) -> list[str]:
    intents = [i for i in pdf.Root.get("/OutputIntents", []) if i.get("/S") == "/GTS_PDFA1"]
    if len(intents) != 1:
        return [f"{len(intents)} /GTS_PDFA1 output intents, one expected"]
    profile = intents[0].get("/DestOutputProfile")
    if profile is None:
        return ["the output intent embeds no ICC profile"]
    icc = profile.read_bytes()
    found = []
    if int(profile.get("/N", 0)) != 3 or icc[16:20] != b"RGB " or icc[36:40] != b"acsp":
        found.append("the output intent's profile is not an RGB ICC profile")
    if icc[8] not in (2, 4):
        found.append(f"ICC profile version {icc[8]}")
    return found


def _fonts_of(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    seen = set()
    for page in pdf.pages:
        fonts = page.obj.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            if font.objgen in seen:
                continue
            seen.add(font.objgen)
            yield font


def _fonts(pdf: pikepdf.Pdf) -> list[str]:
    found = []
    for font in _fonts_of(pdf):
        name = str(font.get("/BaseFont", "?")).lstrip("/")
        if name.split("+")[-1] in STANDARD_FONTS:
            found.append(f"standard font {name}")
        described = font.DescendantFonts[0] if font.get("/Subtype") == "/Type0" else font
        descriptor = described.get("/FontDescriptor")
        if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            found.append(f"font {name} not embedded")
        if "/ToUnicode" not in font:
            found.append(f"font {name} without ToUnicode")
    return found


def elements(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """Every structure element, depth first in reading order."""
    root = pdf.Root.StructTreeRoot
    stack = list(reversed(list(_kids(root))))
    while stack:
        element = stack.pop()
        yield element
        stack += reversed([k for k in _kids(element) if isinstance(k, pikepdf.Dictionary) and "/S" in k])


def _kids(node: pikepdf.Dictionary) -> list:
    kids = node.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _structure(pdf: pikepdf.Pdf) -> list[str]:
    found = []
    if not (pdf.Root.get("/MarkInfo") and bool(pdf.Root.MarkInfo.get("/Marked"))):
        found.append("catalog without /MarkInfo /Marked true")
    if not str(pdf.Root.get("/Lang", "")):
        found.append("catalog without /Lang")
    if "/StructTreeRoot" not in pdf.Root:
        return [*found, "no structure tree"]
    parent_tree = _number_tree(pdf.Root.StructTreeRoot.ParentTree)
    claimed: set[tuple[tuple[int, int], int]] = set()  # (page, mcid) the elements name
    for element in elements(pdf):
        page = element.get("/Pg")
        for kid in _kids(element):
            if isinstance(kid, int):
                if page is None:
                    found.append(f"{element.S}: an MCID without a page")
                    continue
                claimed.add((page.objgen, kid))
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                claimed.add((kid.Pg.objgen, int(kid.MCID)))
    marked: set[tuple[tuple[int, int], int]] = set()
    for number, page in enumerate(pdf.pages, start=1):
        key = page.obj.get("/StructParents")
        owners = parent_tree.get(int(key)) if key is not None else None
        for problem, mcid in _marked_content(page):
            if problem:
                found.append(f"page {number}: {problem}")
                continue
            marked.add((page.obj.objgen, mcid))
            if owners is None or mcid >= len(owners):
                found.append(f"page {number}: MCID {mcid} missing from the parent tree")
            elif (page.obj.objgen, mcid) not in claimed:
                found.append(f"page {number}: MCID {mcid} claimed by no element")
    found += [f"an element names MCID {mcid} that no page content has" for _, mcid in sorted(claimed - marked)]
    return found


def _number_tree(node: pikepdf.Dictionary) -> dict[int, list]:
    nums = list(node.get("/Nums", []))
    entries = {int(nums[i]): list(nums[i + 1]) for i in range(0, len(nums), 2)}
    for kid in node.get("/Kids", []):
        entries.update(_number_tree(kid))
    return entries


def _marked_content(page: pikepdf.Page) -> Iterator[tuple[str | None, int]]:
    """(problem, MCID) for each MCID sequence of the page, and a problem for text shown outside marked content."""
    stack: list[str] = []  # "mcid" or "artifact" or "other"
    for operands, operator in pikepdf.parse_content_stream(page):
        op = str(operator)
        if op == "BDC":
            tag, properties = operands
            if str(tag) == "/Artifact":
                stack.append("artifact")
            elif isinstance(properties, pikepdf.Dictionary) and "/MCID" in properties:
                if "mcid" in stack:
                    yield "an MCID sequence nested in another", -1
                stack.append("mcid")
                yield None, int(properties.MCID)
            else:
                stack.append("other")
        elif op == "BMC":
            stack.append("artifact" if str(operands[0]) == "/Artifact" else "other")
        elif op == "EMC":
            if not stack:
                yield "EMC without an open sequence", -1
            else:
                stack.pop()
        elif op in TEXT_SHOWING and not ({"mcid", "artifact"} & set(stack)):
            yield "text shown outside any tagged or artifact sequence", -1
    if stack:
        yield "marked content left open at the end of the page", -1
