"""What makes the receipt an archival PDF (PDF/A-2U, ISO 19005-2, level U: text extractable as Unicode).

fpdf2 enforces the profile (``enforce_compliance``): PDF 1.7, no core font (every font embedded), no encryption, an
sRGB output intent with fpdf2's bundled ICC profile (sRGB2014, ``fpdf/data/color_profiles``). The XMP metadata is
written here rather than by fpdf2, whose own stamps the modification date with the clock: the receipt's every date
is its transmission's, so that the same snapshot still gives the same bytes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from xml.sax.saxutils import escape

PROFILE = "PDF/A-2U"
PART, CONFORMANCE = 2, "U"
LANGUAGE = "fr-FR"


def xmp(*, title: str, author: str, subject: str, creator: str, created: datetime) -> str:
    """The XMP packet's body (fpdf2 wraps it in ``<?xpacket?>``): PDF/A identification, Dublin Core, dates."""
    moment = (created if created.tzinfo else created.replace(tzinfo=UTC)).isoformat(timespec="seconds")
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
        ' xmlns:pdf="http://ns.adobe.com/pdf/1.3/">\n'
        f"<pdfaid:part>{PART}</pdfaid:part>\n"
        f"<pdfaid:conformance>{CONFORMANCE}</pdfaid:conformance>\n"
        "<dc:format>application/pdf</dc:format>\n"
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>\n'
        f"<dc:creator><rdf:Seq><rdf:li>{escape(author)}</rdf:li></rdf:Seq></dc:creator>\n"
        f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(subject)}</rdf:li></rdf:Alt>'
        "</dc:description>\n"
        f"<dc:language><rdf:Bag><rdf:li>{LANGUAGE}</rdf:li></rdf:Bag></dc:language>\n"
        f"<xmp:CreatorTool>{escape(creator)}</xmp:CreatorTool>\n"
        f"<xmp:CreateDate>{moment}</xmp:CreateDate>\n"
        f"<xmp:ModifyDate>{moment}</xmp:ModifyDate>\n"
        f"<xmp:MetadataDate>{moment}</xmp:MetadataDate>\n"
        "<pdf:Producer>fpdf2</pdf:Producer>\n"
        "</rdf:Description>\n"
        "</rdf:RDF>\n"
        "</x:xmpmeta>"
    )
