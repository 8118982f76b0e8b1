"""Loading, validating and hashing rules files, and the set of rules a settlement uses."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from trustshare.domain.errors import InvalidRules
from trustshare.domain.result import RulesUsed
from trustshare.domain.rules import ProductTerms, RegionPolicy
from trustshare.domain.validation import domain_error_from


class _ExactLoader(yaml.SafeLoader):
    """YAML loader that reads ``0.85`` as ``Decimal("0.85")``: floats never enter the rules."""


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    return Decimal(text.replace("_", ""))


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)


def canonical_json(data: Any) -> bytes:
    """The canonical encoding hashed for rules: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def rules_content_hash(rules: BaseModel) -> str:
    """SHA-256 (hex) of the canonical JSON of the normalised rules: what gets committed on-chain.

    Hashing the normalised model, not the file's bytes, makes the hash independent of YAML
    layout, comments and spellings such as ``0.60`` versus ``"0.6"``.
    """
    return hashlib.sha256(canonical_json(rules_document(rules))).hexdigest()


def rules_document(rules: BaseModel) -> dict[str, Any]:
    """The normalised JSON-able document of a rules model (the inverse of parsing)."""
    return rules.model_dump(mode="json")


def parse_rules_document(data: object, source: str = "") -> RegionPolicy | ProductTerms:
    """Validate one decoded rules document (``kind: region`` or ``kind: product``)."""
    if not isinstance(data, Mapping):
        raise InvalidRules("", "a rules file is a mapping at the top level", source)
    kind = data.get("kind")
    model: type[RegionPolicy] | type[ProductTerms]
    if kind == "region":
        model = RegionPolicy
    elif kind == "product":
        model = ProductTerms
    else:
        raise InvalidRules("kind", f"must be 'region' or 'product', got {kind!r}", source)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = domain_error_from(exc, InvalidRules)
        raise InvalidRules(error.path, error.reason, source, error.further_problems) from None


def load_rules_text(text: str, source: str = "") -> RegionPolicy | ProductTerms:
    """Parse and validate the YAML text of one rules file."""
    try:
        data = yaml.load(text, Loader=_ExactLoader)
    except yaml.YAMLError as exc:
        raise InvalidRules("", f"not valid YAML: {exc}", source) from None
    return parse_rules_document(data, source)


@dataclass(frozen=True)
class RuleSet:
    """The region policies and product terms a settlement may use, with their content hashes."""

    regions: Mapping[str, RegionPolicy]
    products: Mapping[str, ProductTerms]
    hashes: Mapping[str, str] = field(default_factory=dict)
    used: Mapping[str, RulesUsed] = field(default_factory=dict)
    """Per rules id, how a settlement cites it (id, version, status, content hash)."""

    @classmethod
    def of(cls, documents: Iterable[RegionPolicy | ProductTerms]) -> RuleSet:
        """Build a rule set; ids must be unique across regions and products."""
        regions: dict[str, RegionPolicy] = {}
        products: dict[str, ProductTerms] = {}
        hashes: dict[str, str] = {}
        for document in documents:
            if document.id in hashes:
                raise InvalidRules("id", f"rules id {document.id!r} is defined twice")
            hashes[document.id] = rules_content_hash(document)
            if isinstance(document, RegionPolicy):
                regions[document.id] = document
            else:
                products[document.id] = document
        used = {
            document.id: RulesUsed(
                document.id, document.version, document.status, hashes[document.id]
            )
            for document in (*regions.values(), *products.values())
        }
        return cls(regions=regions, products=products, hashes=hashes, used=used)

    @property
    def digest(self) -> str:
        """One SHA-256 over every (id, version, content hash), sorted: the rule set's identity."""
        entries = [
            [rule_id, self._version(rule_id), content_hash]
            for rule_id, content_hash in sorted(self.hashes.items())
        ]
        return hashlib.sha256(canonical_json(entries)).hexdigest()

    def _version(self, rule_id: str) -> str:
        document = self.regions.get(rule_id) or self.products[rule_id]
        return document.version


def _yaml_files(root: Traversable) -> Iterator[Traversable]:
    for entry in sorted(root.iterdir(), key=lambda item: item.name):
        if entry.is_dir():
            yield from _yaml_files(entry)
        elif entry.name.endswith((".yaml", ".yml")):
            yield entry


def load_rules(directory: Path | Traversable | None = None) -> RuleSet:
    """Load every ``*.yaml`` under ``directory`` (default: the rules shipped in the package)."""
    root: Traversable = resources.files("trustshare.rules") if directory is None else directory
    if not root.is_dir():
        raise InvalidRules("", f"rules directory {root} does not exist")
    documents = [load_rules_text(item.read_text("utf-8"), item.name) for item in _yaml_files(root)]
    if not documents:
        raise InvalidRules("", f"no rules files (*.yaml) in {root}")
    return RuleSet.of(documents)


_DEFAULT_RULES: list[RuleSet] = []


def default_rules() -> RuleSet:
    """The rules shipped with the package, loaded once."""
    if not _DEFAULT_RULES:
        _DEFAULT_RULES.append(load_rules())
    return _DEFAULT_RULES[0]
