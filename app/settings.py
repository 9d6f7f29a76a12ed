"""Everything the service reads from its environment (CATALOG_*)."""

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service reads from its environment (CATALOG_*)."""

    model_config = SettingsConfigDict(env_prefix="CATALOG_", env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite:///./var/catalog.db",
        description="SQLAlchemy URL of the database: a SQLite file, or postgresql+psycopg://…",
    )
    marc_org_code: str = Field(
        "VN-SHAREDCAT",
        description="MARC organization code written to 003 of every record; each deployment "
        "sets its own.",
    )
    max_upload_bytes: int = Field(
        100 * 1024 * 1024, ge=1024, description="Largest request body accepted, in bytes (413)."
    )
    max_import_bytes: int = Field(
        16 * 1024**3,
        ge=1024,
        description="Largest file an import accepts, in bytes (413); it is streamed, not held.",
    )
    import_workers: int = Field(
        1,
        ge=0,
        description="Threads in each API process that load imports; 0 when `catalog worker` "
        "processes do it.",
    )
    import_stale_seconds: int = Field(
        60,
        ge=1,
        description="A running import whose process has been silent this long was interrupted; "
        "another worker takes it over.",
    )
    import_processes: int | None = Field(
        None,
        ge=0,
        le=64,
        description="Processes that prepare each running import's records for its writer (0: "
        "the writer does it all). Unset: one fewer than the machine has cores, at most two, "
        "and none for a file under 1 MB. Each holds some 150 MB; more helps only where cores are "
        "free (see bench/README.md).",
    )
    import_batch_size: int = Field(
        500, ge=1, le=10000, description="Records an import writes per transaction."
    )
    page_size: int = Field(
        50, ge=1, le=1000, description="Records per page when no limit is given."
    )
    max_page_size: int = Field(1000, ge=1, le=10000, description="Largest limit a client may ask.")
    log_format: Literal["text", "json"] = Field("text", description="text for people, json lines.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Python logging level name."
    )
    db_pool_size: int = Field(
        5, ge=1, description="Connections kept open per process (PostgreSQL)."
    )
    db_max_overflow: int = Field(10, ge=0, description="Extra connections under load (PostgreSQL).")
    sqlite_busy_timeout_ms: int = Field(
        30000, ge=0, description="How long a SQLite writer waits for the file lock, in ms."
    )
    search_count_bound: int = Field(
        2_000,
        ge=100,
        description="Matches counted exactly (total, facets); beyond, the total is a lower bound.",
    )
    search_rank_window: int = Field(
        500,
        ge=20,
        description="Matches ranked by relevance: this many of the newest with the words in "
        "their title, and as many of the newest of any kind; the others follow, newest first.",
    )
    repository_name: str = Field(
        "Shared catalogue",
        description="Name of this catalogue in SRU explain and OAI-PMH Identify.",
    )
    admin_email: str = Field(
        "catalog-admin@example.vn",
        description="Who runs this catalogue: OAI-PMH Identify's adminEmail.",
    )
    oai_repository_identifier: str = Field(
        "catalog.example.vn",
        pattern=r"^[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+$",
        description="Domain name in OAI identifiers (oai:<this>:<record id>); set it once, "
        "harvesters keep the identifiers.",
    )
    oai_page_size: int = Field(
        100, ge=1, le=1000, description="Records or headers per OAI-PMH list response."
    )
    sru_default_records: int = Field(
        10, ge=1, description="Records in an SRU response when maximumRecords is not given."
    )
    sru_max_records: int = Field(
        100, ge=1, le=1000, description="Largest maximumRecords an SRU client may ask for."
    )
    allow_anonymous_read: bool = Field(
        True,
        description="Whether searching and downloading need no key; false in production, where "
        "every client sends one.",
    )
    rate_limit: str = Field(
        "1200/minute",
        description="Requests each API key may make, e.g. 1200/minute or 50/second; "
        "empty: no limit.",
    )
    anonymous_rate_limit: str = Field(
        "300/minute",
        description="Requests each client address may make without a key; empty: no limit.",
    )
    rate_limit_storage: str = Field(
        "memory://",
        description="Where rate limit counts live: memory:// (each process its own) or "
        "redis://host:6379/0 (shared by every API process).",
    )
    count_usage: bool = Field(
        True, description="Whether downloads are counted for the usage statistics."
    )
    usage_flush_seconds: float = Field(
        5.0,
        gt=0,
        description="How often each process adds its download counts to the database.",
    )
    cip_heading: str = Field(
        "Biên mục trên xuất bản phẩm của Thư viện Quốc gia Việt Nam",
        description="The heading line of printed CIP blocks.",
    )
    public_base_url: str = Field(
        "",
        description="Base URL that links in responses start with, e.g. https://catalog.example.vn; "
        "empty: relative links.",
    )

    @model_validator(mode="after")
    def _window_within_bound(self) -> "Settings":
        if self.search_rank_window > self.search_count_bound:
            raise ValueError("CATALOG_SEARCH_RANK_WINDOW cannot exceed CATALOG_SEARCH_COUNT_BOUND")
        return self
