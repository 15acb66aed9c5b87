"""How long each stream keeps its events: the Caf back office's streams a full exercice plus its revision."""

from __future__ import annotations

from afas_shared.contracts.bus_permissions import CAF_CONSUMER_STREAMS, SERVICES
from afas_shared.messaging.naming import BusNames
from afas_shared.messaging.streams import DAY, history_days, stream_config
from afas_shared.settings import CommonSettings


def _max_age_days(common: CommonSettings, producer: str) -> float:
    config = stream_config(
        BusNames(), producer, replicas=1, duplicate_window=120, max_age_days=history_days(common, producer)
    )
    return config.max_age / DAY


def test_the_streams_the_back_office_reads_keep_36_months_and_identity_30_days():
    common = CommonSettings()
    kept = {producer: _max_age_days(common, producer) for producer in SERVICES}
    assert {p: kept[p] for p in CAF_CONSUMER_STREAMS} == {"habilitation": 1096, "declaration": 1096, "estimation": 1096}
    assert kept["identity"] == 30
    assert 1096 >= 3 * 365


def test_the_history_comes_from_the_settings():
    common = CommonSettings(bus_history_days=400, bus_internal_history_days=7)
    assert _max_age_days(common, "declaration") == 400
    assert _max_age_days(common, "identity") == 7
