"""The dossier connector: polls a source system's dossier change feed (or reads a backfill
file) and publishes one `DossierEvent` per status change."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from cityops.contract import DOSSIER, DossierEvent
from cityops.privacy import CONTRACT_FIELDS
from connectors.adapters.pull import PullConfig, PullConnector
from connectors.dossier.mapping import PUBLIC_SOURCE_FIELDS, FieldNames, map_record
from connectors.dossier.samples import dossier_samples
from connectors.sdk.connector import ConnectorConfig, Samples


class DossierConfig(PullConfig):
    fields: FieldNames = Field(default_factory=FieldNames)


class DossierConnector(PullConnector):
    name = "dossier"
    description = "National-portal dossier sync records (pull REST feed or file) -> dossier events"
    topic = DOSSIER
    Config: ClassVar[type[ConnectorConfig]] = DossierConfig
    config: DossierConfig
    cursor_field = "NgayCapNhat"
    id_field = "MaHoSo"
    public_fields = CONTRACT_FIELDS | PUBLIC_SOURCE_FIELDS

    def dead_letter_fields(self) -> frozenset[str]:
        return self.public_fields | set(self.config.fields.model_dump().values())

    def map(self, record: dict[str, Any]) -> DossierEvent:
        return map_record(
            record,
            source=self.config.source,
            fields=self.config.fields,
            hash_id=self.applicant_ref,
        )

    @classmethod
    def sample_input(cls, source: str) -> Samples:
        return dossier_samples(source)
