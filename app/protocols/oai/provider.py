"""The OAI-PMH data provider: each verb's answer, from the harvest service, as a document.

Every outcome is a document: a request that is not well formed, names nothing, or selects
nothing is answered with the protocol's error codes (sections 3.6 and 4), never an exception.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from app.protocols.oai import responses, tokens
from app.protocols.oai.arguments import (
    GET_RECORD,
    IDENTIFY,
    LIST_IDENTIFIERS,
    LIST_METADATA_FORMATS,
    LIST_SETS,
    RESUMPTION_TOKEN,
    SET_SPEC,
    ErrorCode,
    OaiError,
    OaiFailure,
    OaiRequest,
    check,
    failure,
)
from app.protocols.oai.dates import BadDate, Window, window
from app.protocols.oai.formats import FORMATS, MetadataFormat
from app.protocols.oai.sets import SETS, SetFilter, SetHierarchy
from app.services.harvest import HarvestedRecord, HarvestService, Selection

# Identify's earliestDatestamp while the catalogue is empty: a lower bound of every datestamp
# it will ever give.
EMPTY_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_RECORD_NUMBER = re.compile(r"[1-9][0-9]{0,18}\Z")


@dataclass(frozen=True, slots=True)
class RepositorySettings:
    """What a deployment tells the provider about itself."""

    repository_name: str
    admin_email: str
    repository_identifier: str
    page_size: int


@dataclass(frozen=True, slots=True)
class _ListQuery:
    """A ListIdentifiers/ListRecords request once its arguments or token are understood."""

    verb: str
    fmt: MetadataFormat
    set_spec: str | None
    from_: str | None
    until: str | None
    selection: Selection
    resumed: tokens.ResumptionState | None


class DataProvider:
    """Answers OAI-PMH requests over the harvest service."""

    def __init__(
        self,
        harvest: HarvestService,
        settings: RepositorySettings,
        *,
        sets: SetHierarchy = SETS,
        formats: dict[str, MetadataFormat] = FORMATS,
    ) -> None:
        self._harvest = harvest
        self._settings = settings
        self._sets = sets
        self._formats = formats

    def respond(
        self, arguments: Sequence[tuple[str, str]] | OaiFailure, *, base_url: str
    ) -> etree._Element:
        """The response document to a request's arguments (or to why they could not be read)."""
        now = self._harvest.now()
        try:
            if isinstance(arguments, OaiFailure):
                raise arguments
            request = check(arguments)
        except OaiFailure as error:
            # badVerb or badArgument: <request> gives the base URL alone (section 3.2).
            return self._error_document(now, base_url, None, error)
        root = responses.envelope(response_date=now, base_url=base_url, arguments=request.arguments)
        try:
            self._answer(root, request, base_url)
        except OaiFailure as error:
            return self._error_document(now, base_url, request.arguments, error)
        return root

    @staticmethod
    def _error_document(
        now: datetime,
        base_url: str,
        arguments: Sequence[tuple[str, str]] | None,
        error: OaiFailure,
    ) -> etree._Element:
        root = responses.envelope(
            response_date=now,
            base_url=base_url,
            arguments=arguments,
        )
        responses.add_errors(root, error.errors)
        return root

    def _answer(self, root: etree._Element, request: OaiRequest, base_url: str) -> None:
        if request.verb == IDENTIFY:
            self._identify(root, base_url)
        elif request.verb == LIST_METADATA_FORMATS:
            self._list_metadata_formats(root, request)
        elif request.verb == LIST_SETS:
            self._list_sets(root, request)
        elif request.verb == GET_RECORD:
            self._get_record(root, request)
        else:
            self._list(root, self._list_query(request))

    # -- identifiers --------------------------------------------------------------------------

    def identifier(self, record_id: int) -> str:
        """The OAI identifier of a record: oai:<repository identifier>:<record number>."""
        return f"oai:{self._settings.repository_identifier}:{record_id}"

    def _record_number(self, identifier: str) -> int:
        prefix = f"oai:{self._settings.repository_identifier}:"
        number = identifier.removeprefix(prefix)
        if number == identifier or not _RECORD_NUMBER.match(number):
            raise failure(
                ErrorCode.ID_DOES_NOT_EXIST,
                f"{identifier!r} is not an identifier of this repository ({prefix}<number>)",
            )
        return int(number)

    def _existing(self, identifier: str, *, with_record: bool) -> HarvestedRecord:
        found = self._harvest.get(self._record_number(identifier), with_record=with_record)
        if found is None:
            raise failure(ErrorCode.ID_DOES_NOT_EXIST, f"there is no record {identifier}")
        return found

    def _header(self, item: HarvestedRecord) -> responses.Header:
        return responses.Header(
            identifier=self.identifier(item.id),
            datestamp=item.updated_at,
            deleted=item.deleted,
            set_specs=self._sets.specs_of(item) if self._sets.supported else (),
        )

    def _format(self, prefix: str) -> MetadataFormat:
        fmt = self._formats.get(prefix)
        if fmt is None:
            raise failure(
                ErrorCode.CANNOT_DISSEMINATE_FORMAT,
                f"{prefix!r} is not a format of this repository; "
                f"it offers {', '.join(self._formats)}",
            )
        return fmt

    # -- the verbs ----------------------------------------------------------------------------

    def _identify(self, root: etree._Element, base_url: str) -> None:
        responses.add_identify(
            root,
            responses.Identity(
                repository_name=self._settings.repository_name,
                base_url=base_url,
                admin_email=self._settings.admin_email,
                earliest_datestamp=self._harvest.earliest_change() or EMPTY_EARLIEST,
                repository_identifier=self._settings.repository_identifier,
                sample_identifier=self.identifier(1),
            ),
        )

    def _list_metadata_formats(self, root: etree._Element, request: OaiRequest) -> None:
        identifier = request.get("identifier")
        if identifier is not None:
            # Every record, a tombstone too, is disseminated in every format.
            self._existing(identifier, with_record=False)
        if not self._formats:
            raise failure(ErrorCode.NO_METADATA_FORMATS, "this repository offers no format")
        responses.add_metadata_formats(root, self._formats.values())

    def _list_sets(self, root: etree._Element, request: OaiRequest) -> None:
        if not self._sets.supported:
            raise failure(ErrorCode.NO_SET_HIERARCHY, "this repository does not support sets")
        if request.get(RESUMPTION_TOKEN) is not None:
            raise failure(
                ErrorCode.BAD_RESUMPTION_TOKEN,
                "the list of sets always comes whole: no resumptionToken continues it",
            )
        responses.add_sets(root, self._sets.sets())

    def _get_record(self, root: etree._Element, request: OaiRequest) -> None:
        errors: list[OaiError] = []
        fmt = found = None
        try:
            fmt = self._format(str(request.get("metadataPrefix")))
        except OaiFailure as error:
            errors += error.errors
        try:
            found = self._existing(str(request.get("identifier")), with_record=True)
        except OaiFailure as error:
            errors += error.errors
        if fmt is None or found is None:
            raise OaiFailure(*errors)
        element = responses.verb_element(root, GET_RECORD)
        metadata = fmt.render(found.record) if found.record is not None else None
        responses.add_record(element, self._header(found), metadata)

    # -- lists --------------------------------------------------------------------------------

    def _set_filter(self, set_spec: str | None) -> SetFilter:
        if set_spec is None:
            return SetFilter()
        if not self._sets.supported:
            raise failure(ErrorCode.NO_SET_HIERARCHY, "this repository does not support sets")
        chosen = self._sets.select(set_spec)
        if chosen is None:
            raise failure(
                ErrorCode.NO_RECORDS_MATCH,
                f"there is no set {set_spec!r}; ListSets names the sets",
            )
        return chosen

    def _list_query(self, request: OaiRequest) -> _ListQuery:
        token = request.get(RESUMPTION_TOKEN)
        if token is not None:
            return self._resumed_query(request.verb, token)
        fmt = self._format(str(request.get("metadataPrefix")))
        set_spec, from_, until = request.get("set"), request.get("from"), request.get("until")
        dates = window(from_, until)  # check() has already refused a bad one
        return _ListQuery(
            verb=request.verb,
            fmt=fmt,
            set_spec=set_spec,
            from_=from_,
            until=until,
            selection=_selection(dates, self._set_filter(set_spec)),
            resumed=None,
        )

    def _resumed_query(self, verb: str, token: str) -> _ListQuery:
        try:
            state = tokens.decode(token)
            if state.verb != verb:
                raise tokens.BadToken(f"this token continues {state.verb}, not {verb}")
            fmt = self._formats.get(state.metadata_prefix)
            if fmt is None:
                raise tokens.BadToken(f"format {state.metadata_prefix} is no longer offered")
            dates = window(state.from_, state.until)
            if state.set_spec is not None and not SET_SPEC.match(state.set_spec):
                raise tokens.BadToken("the token names no set")
            chosen = self._sets.select(state.set_spec) if state.set_spec is not None else None
            if state.set_spec is not None and chosen is None:
                raise tokens.BadToken(f"set {state.set_spec} is no longer offered")
        except (tokens.BadToken, BadDate) as error:
            raise failure(
                ErrorCode.BAD_RESUMPTION_TOKEN,
                f"the resumptionToken cannot be continued: {error}",
            ) from None
        return _ListQuery(
            verb=verb,
            fmt=fmt,
            set_spec=state.set_spec,
            from_=state.from_,
            until=state.until,
            selection=_selection(dates, chosen or SetFilter()),
            resumed=state,
        )

    def _list(self, root: etree._Element, query: _ListQuery) -> None:
        headers_only = query.verb == LIST_IDENTIFIERS
        resumed = query.resumed
        page = self._harvest.page(
            query.selection,
            after=resumed.after if resumed is not None else None,
            limit=self._settings.page_size,
            with_records=not headers_only,
            count=resumed is None,
        )
        if not page.items:
            raise failure(
                ErrorCode.NO_RECORDS_MATCH,
                "no record matches these arguments"
                if resumed is None
                else "the records left in this list have changed since; none is left to give",
            )
        cursor = resumed.cursor if resumed is not None else 0
        given = cursor + len(page.items)
        listed = resumed.complete_list_size if resumed is not None else (page.total or 0)
        # Records changed during a harvest come round again, so the list can outgrow its count.
        size = max(listed, given + (1 if page.more else 0))
        element = responses.verb_element(root, query.verb)
        for item in page.items:
            if headers_only:
                responses.add_header(element, self._header(item))
            else:
                metadata = query.fmt.render(item.record) if item.record is not None else None
                responses.add_record(element, self._header(item), metadata)
        if page.more:
            state = tokens.ResumptionState(
                verb=query.verb,
                metadata_prefix=query.fmt.prefix,
                set_spec=query.set_spec,
                from_=query.from_,
                until=query.until,
                after=page.items[-1].position,
                cursor=given,
                complete_list_size=size,
            )
            token: str | None = tokens.encode(state)
        elif resumed is not None:
            token = None
        else:
            return  # a complete list in one response carries no token
        responses.add_resumption_token(element, token, complete_list_size=size, cursor=cursor)


def _selection(dates: Window, chosen: SetFilter) -> Selection:
    return Selection(since=dates.since, before=dates.before, material=chosen.material)
