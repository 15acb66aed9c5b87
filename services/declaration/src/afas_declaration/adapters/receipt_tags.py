"""The receipt's logical structure (a tagged PDF): Document > H1, H2, H3, P, Table > TR > TH / TD.

A screen reader reads the receipt in that order, with its headings and its tables' header cells, and an archive
keeps what each piece of text is. fpdf2's own structure tree is flat (one element per image or link, straight under
the document), so the receipt builds its own: elements nest, and each keeps the marked-content pieces (MCIDs) of its
text on every page it spans. The header, footer and rules are artifacts, outside the tree.

``StructureTree`` stands in for fpdf2's ``StructureTreeBuilder`` (``FPDF.struct_builder``): the output serializes
the root, the document element, the parent tree and every element it yields, and sets each page's
``/StructParents`` from what ``mark`` recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fpdf.structure_tree import StructTreeRoot
from fpdf.syntax import PDFObject


class Element(PDFObject):
    """One structure element; its kids are elements or marked content on a page (page object, MCID)."""

    def __init__(self, role: str, parent: PDFObject, attributes: str | None = None) -> None:
        super().__init__()
        self.role = role
        self.parent = parent
        self.attributes = attributes
        self.k: list[Element | tuple[Any, int]] = []
        self.pg: Any = None  # the page of its first content (fpdf2's output sets it for the document's children)
        self._page_number: int | None = None

    def page_number(self) -> int:
        return self._page_number or 1

    def serialize(self, obj_dict: dict[str, object] | None = None, _security_handler: Any = None) -> str:
        # Compact: a tagged receipt has a few hundred elements. /Type is optional for a structure element, and an
        # MCID on the element's own page (/Pg) is a bare integer; one on a later page names its page (an MCR)
        kids = [
            kid.ref
            if isinstance(kid, Element)
            else str(kid[1])
            if kid[0] is self.pg
            else f"<</Type /MCR /Pg {kid[0].ref} /MCID {kid[1]}>>"
            for kid in self.k
        ]
        entries: dict[str, object] = {"/S": f"/{self.role}", "/P": self.parent.ref}
        if self.pg is not None:
            entries["/Pg"] = self.pg.ref
        entries["/K"] = f"[{' '.join(kids)}]"
        if self.attributes:
            entries["/A"] = self.attributes
        return super().serialize(entries)


class StructureTree:
    def __init__(self) -> None:
        self.struct_tree_root = StructTreeRoot()
        self.doc_struct_elem = Element("Document", self.struct_tree_root)
        self.struct_tree_root.k.append(self.doc_struct_elem)
        self._elements: list[Element] = []
        self._struct_parents: dict[int, int] = {}  # page number -> its key in the parent tree

    def element(self, role: str, parent: Element | None = None, attributes: str | None = None) -> Element:
        """A new element, last child of ``parent`` (the document when None)."""
        parent = parent or self.doc_struct_elem
        element = Element(role, parent, attributes)
        parent.k.append(element)
        self._elements.append(element)
        return element

    def mark(self, element: Element, page_number: int, page: Any) -> int:
        """The next MCID of ``page`` for content of ``element``: recorded in the element and the parent tree."""
        key = self._struct_parents.setdefault(page_number, len(self._struct_parents))
        page.struct_parents = key
        owners = self.struct_tree_root.parent_tree.nums[key]  # the list's index is the MCID
        owners.append(element)
        mcid = len(owners) - 1
        element.k.append((page, mcid))
        if element.pg is None:
            element.pg = page
        ancestor: PDFObject = element
        while isinstance(ancestor, Element) and ancestor._page_number is None:
            ancestor._page_number = page_number  # a table's first page is its first cell's
            ancestor = ancestor.parent
        return mcid

    def empty(self) -> bool:
        return not self.doc_struct_elem.k

    def __iter__(self) -> Iterator[PDFObject]:
        yield self.struct_tree_root
        yield self.doc_struct_elem
        yield self.struct_tree_root.parent_tree
        yield from self._elements


# A header cell's scope, as the attribute of the Table owner
ROW_HEADER = "<</O /Table /Scope /Row>>"
COLUMN_HEADER = "<</O /Table /Scope /Column>>"
