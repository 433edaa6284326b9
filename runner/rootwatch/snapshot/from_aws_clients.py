"""botocore sessions and clients of ``snapshot from-aws``: made once per capture, shared by its accounts.

Making a botocore client costs milliseconds of CPU (a client class with a method per operation, a
copy of the session's event emitter, an endpoint with its own connection pool, its own endpoint
rule cache), and a capture needs one per service per region: about 195 per account on moto's 38
regions, which was most of the CPU of a capture. So a capture makes each (configuration, service,
region) client once, in :class:`SharedClients`, and every account read with that configuration
(all the accounts reached through an assumed role share one) calls through it.

Such a client signs with :class:`AccountCredentials`, never with credentials of its own: the
credentials of the account bound to the calling thread (:meth:`SharedClients.bound`). That is exact
because a step of an account (its opening, one region, its credential report) runs in one worker
thread from start to end, and botocore signs every request, retries included, in the thread that
makes the call. A thread with no account bound cannot sign at all (an error, not a fallback), so a
request is signed as the account whose step makes it or not sent.

All sessions share one botocore data loader (:func:`botocore_session`), so service models are
parsed once per process, and the sessions of :class:`SharedClients` make the client class of a
service once (:func:`_cache_client_classes`), not once per region.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_shared_lock = threading.Lock()
_shared: dict[str, Any] = {}


def botocore_session() -> Any:
    """A new botocore session that shares this process's data loader with every other one.

    Each botocore session otherwise parses the service models and ``endpoints.json`` again (the
    EC2 model alone is tens of MB of Python objects). The loader only reads the installed JSON
    files and caches what it parsed, so sharing it is safe; the session's credentials,
    configuration and event handlers stay its own.
    """
    import boto3
    import botocore.loaders
    import botocore.session

    with _shared_lock:
        loader = _shared.get("loader")
        if loader is None:
            loader = botocore.loaders.create_loader()
            # boto3.Session appends its own data directory to the loader it is given: once is enough.
            loader.search_paths.append(os.path.join(os.path.dirname(boto3.__file__), "data"))
            _shared["loader"] = loader
    session = botocore.session.get_session()
    session.register_component("data_loader", _OnePathLoader(loader))
    return session


class _OnePathLoader:
    """The shared loader, seen by a session without its search paths growing per session.

    ``boto3.Session`` appends its data directory to ``loader.search_paths`` each time one is made;
    this view hands it a throwaway list, and delegates everything else to the shared loader.
    """

    def __init__(self, loader: Any) -> None:
        self._loader = loader
        self.search_paths = list(loader.search_paths)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class NoAccountBound(RuntimeError):
    """A shared client was called from a thread that has no account bound: a bug, never signed."""


class AccountCredentials:
    """botocore credentials that are those of the account bound to the calling thread.

    botocore asks a client's credentials for ``get_frozen_credentials()`` each time it signs a
    request; this answers with the bound account's, refreshed by their own object as usual.
    """

    method = "rootwatch-bound-account"

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def bound(self, credentials: Any) -> Iterator[None]:
        """Calls made by this thread inside the block are signed with ``credentials``."""
        previous = getattr(self._local, "credentials", None)
        self._local.credentials = credentials
        try:
            yield
        finally:
            self._local.credentials = previous

    def _current(self) -> Any:
        credentials = getattr(self._local, "credentials", None)
        if credentials is None:
            raise NoAccountBound("a shared AWS client was called with no account bound to this thread")
        return credentials

    def get_frozen_credentials(self) -> Any:
        return self._current().get_frozen_credentials()

    def get_deferred_property(self, name: str) -> Callable[[], Any]:
        return lambda: getattr(self.get_frozen_credentials(), name, None)

    @property
    def access_key(self) -> str:
        return self.get_frozen_credentials().access_key

    @property
    def secret_key(self) -> str:
        return self.get_frozen_credentials().secret_key

    @property
    def token(self) -> str | None:
        return self.get_frozen_credentials().token


class _BoundResolver:
    """A session's ``credential_provider`` component that always resolves to the bound account."""

    def __init__(self, credentials: AccountCredentials) -> None:
        self._credentials = credentials

    def load_credentials(self) -> AccountCredentials:
        return self._credentials


MakeClient = Callable[..., Any]
"""``make(session, service, region)``: a configured client of ``session`` (see ``from_aws_account.client``);
``make(session, service, region, template)`` for a regional service at an explicit endpoint URL
once a client of it exists: the same client for another region (see :func:`regional_variant`)."""

REGIONAL_VARIANT_SERVICES = frozenset({"cloudtrail", "logs", "cloudwatch", "sns", "events"})
"""Services read in every region whose region only names the backend: no global endpoint, no
S3-style or STS-style endpoint settings, no endpoint discovery. At an explicit endpoint URL (a test
server, a VPC endpoint) their clients differ by region in the configuration's region, the signing
region and the endpoint rules' region only, which :func:`regional_variant` sets."""


class SharedClients:
    """The clients of one capture, one per (profile, service, region), signing as the bound account.

    Keyed by the profile whose configuration (region, endpoints, proxies, retries...) the account's
    session reads: accounts reached through a role all read the same, a ``--profile`` its own.
    """

    def __init__(self) -> None:
        self.credentials = AccountCredentials()
        self._lock = threading.Lock()
        self._sessions: dict[str | None, Any] = {}
        self._clients: dict[tuple[str | None, str, str], Any] = {}
        self._templates: dict[tuple[str | None, str], Any] = {}

    def bound(self, credentials: Any) -> Any:
        """Context: the calling thread's calls through these clients are signed with ``credentials``."""
        return self.credentials.bound(credentials)

    def get(self, session: Any, service: str, region: str, make: MakeClient, endpoint_url: str | None = None) -> Any:
        """The shared client of ``session``'s configuration for ``service`` in ``region``.

        Made on first use with ``make``, under a lock: client creation is CPU work under the GIL,
        so serialising it loses nothing, and no client is made twice. With ``endpoint_url`` (the
        one every client is made with), the first client of a service of
        :data:`REGIONAL_VARIANT_SERVICES` is the template of its other regions' clients.
        """
        profile = _profile(session)
        key = (profile, service, region)
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                template = self._templates.get((profile, service))
                if template is None:
                    found = make(self._session(profile), service, region)
                    if service in REGIONAL_VARIANT_SERVICES and found.meta.endpoint_url == endpoint_url and endpoint_url:
                        self._templates[(profile, service)] = found
                else:
                    found = make(self._session(profile), service, region, template)
                self._clients[key] = found
            return found

    def close(self) -> None:
        """Close every client's connections (a capture's clients are not used after it)."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for made in clients:
            made.close()

    def _session(self, profile: str | None) -> Any:
        """A boto3 session of ``profile``'s configuration whose credentials are the bound account's."""
        import boto3

        session = self._sessions.get(profile)
        if session is None:
            core = botocore_session()
            core.register_component("credential_provider", _BoundResolver(self.credentials))
            _cache_client_classes(core)
            session = boto3.Session(profile_name=profile, botocore_session=core)
            self._sessions[profile] = session
        return session


def _profile(session: Any) -> str | None:
    """The profile ``session`` reads its configuration from; None for the default one.

    boto3 names the default ``"default"`` even where no such profile exists; asked for by that
    name, botocore would then refuse it, so it is looked up as None (the same configuration).
    """
    name = session.profile_name
    return None if name == "default" else name


_creators: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
"""The last botocore ``ClientCreator`` of each such session (its event emitter): what registers a
client's retry handlers, for :func:`regional_variant`."""

_classes: weakref.WeakKeyDictionary[Any, dict[tuple[str, str | None], type]] = weakref.WeakKeyDictionary()
"""Client classes per event emitter of a session that caches them, per (service, API version)."""


def _cache_client_classes(session: Any) -> None:
    """Make ``session`` build each service's client class once and reuse it for every client.

    botocore builds a new class for every client (a method per operation, then the
    ``creating-client-class`` event): about a quarter of making a client, and a capture makes one
    per service per region. The class depends only on the service model and on that event's
    handlers, which the sessions of :class:`SharedClients` register once, when boto3 sets them up;
    so for them (and only them: other sessions build classes as botocore does) it is built once.
    Without botocore's ``ClientCreator._create_client_class`` (a future botocore) nothing is cached.
    """
    import botocore.client

    creator = botocore.client.ClientCreator
    original = getattr(creator, "_create_client_class", None)
    if original is None:
        return
    if not getattr(original, "rootwatch_cached", False):

        def create_client_class(self: Any, service_name: str, service_model: Any) -> type:
            classes = _classes.get(self._event_emitter)
            if classes is None:
                return original(self, service_name, service_model)
            _creators[self._event_emitter] = self
            key = (service_name, service_model.api_version)
            made = classes.get(key)
            if made is None:
                made = classes[key] = original(self, service_name, service_model)
            return made

        create_client_class.rootwatch_cached = True  # type: ignore[attr-defined]
        creator._create_client_class = create_client_class
    _classes[session.get_component("event_emitter")] = {}


def _partition(core: Any, region: str) -> str | None:
    """The partition botocore puts ``region`` in (``aws``, ``aws-cn``...), None for one it does not know."""
    try:
        return core._get_internal_component("endpoint_resolver").get_partition_for_region(region)
    except Exception:  # noqa: BLE001 - UnknownRegionError, or a botocore without this lookup: no variant
        return None


class NoVariant(Exception):
    """``template`` is not a client :func:`regional_variant` can make another region's client from."""


def regional_variant(template: Any, region: str, session: Any) -> Any:
    """A client of ``template``'s service for ``region``, as botocore would make it, made in a
    fraction of the time: a client of a :data:`REGIONAL_VARIANT_SERVICES` service at an explicit
    endpoint URL, made by ``session`` (a session of :class:`SharedClients`), in another region.

    What depends on the region is made anew, the way botocore makes it: the configuration (its
    ``region_name``), the request signer (signing region), the endpoint rules' ``AWS::Region``
    and, from the session's event emitter, the client's own emitter with botocore's handlers
    (signer, user agent, standard retries with a retry quota of its own). The rest (service
    model, serializer, parser, the connection pool of the one endpoint URL) is the template's.
    Raises :class:`NoVariant` when ``template`` is not such a client, or ``region`` is in another
    partition (the caller then makes the client whole).
    """
    import copy

    from botocore.client import ClientMeta
    from botocore.config import Config
    from botocore.endpoint import Endpoint
    from botocore.signers import RequestSigner

    core = session._session
    emitter = core.get_component("event_emitter")
    creator = _creators.get(emitter)
    signer = template._request_signer
    resolver = template._ruleset_resolver
    if (
        creator is None
        or template.meta.service_model.service_name not in REGIONAL_VARIANT_SERVICES
        or _partition(core, region) != template.meta.partition
        or signer.region_name != template.meta.region_name
        or resolver is None
        or resolver._builtins.get("AWS::Region") != template.meta.region_name
        or template.meta.config.retries.get("mode") != "standard"
    ):
        raise NoVariant(template.meta.service_model.service_name)
    config = Config(**{**template.meta.config._user_provided_options, "region_name": region})
    config._supplied_user_agent = getattr(template.meta.config, "_supplied_user_agent", None)
    events = copy.copy(emitter)
    made = template.__class__.__new__(template.__class__)  # copy.copy would ask the client's __getattr__
    made.__dict__.update(template.__dict__)
    made._client_config = config
    made._cache = {}
    made._exceptions = None
    made._request_signer = RequestSigner(
        signer._service_id, region, signer.signing_name, signer.signature_version, signer._credentials, events, signer._auth_token
    )
    endpoint = template._endpoint
    made._endpoint = Endpoint(endpoint.host, endpoint._endpoint_prefix, events, endpoint._response_parser_factory, endpoint.http_session)
    made._ruleset_resolver = copy.copy(resolver)
    made._ruleset_resolver._builtins = {**resolver._builtins, "AWS::Region": region}
    made._ruleset_resolver._event_emitter = events
    made._ruleset_resolver._instance_cache = {}
    made.meta = ClientMeta(events, config, template.meta.endpoint_url, template.meta.service_model, template.meta.method_to_api_mapping, template.meta.partition)
    made._register_handlers()  # botocore's: the signer and the user agent
    creator._register_retries(made)  # botocore's: standard retries, a quota of the client's own
    return made
