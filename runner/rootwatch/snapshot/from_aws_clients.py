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

import functools
import os
import threading
import weakref
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any

_shared_lock = threading.Lock()
_shared: dict[str, Any] = {}


def botocore_session(services: Collection[str] | None = None) -> Any:
    """A new botocore session that shares this process's data loader with every other one.

    Each botocore session otherwise parses the service models and ``endpoints.json`` again (the
    EC2 model alone is tens of MB of Python objects). The loader only reads the installed JSON
    files and caches what it parsed, so sharing it is safe; the session's credentials,
    configuration and event handlers stay its own.

    With ``services``, a session for clients of those services only: botocore's built-in handlers
    that only other services' clients can trigger are left out
    (:func:`~rootwatch.snapshot.from_aws_handlers.register_builtin_handlers`), so that each client's
    copy of the session's event emitter is smaller.
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
    if services is None:
        session = botocore.session.get_session()
    else:
        from rootwatch.snapshot.from_aws_handlers import register_builtin_handlers

        session = botocore.session.Session(include_builtin_handlers=False)
        register_builtin_handlers(session, services, loader)
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


MakeClient = Callable[[Any, str, str], Any]
"""``make(session, service, region)``: a configured client of ``session`` (see ``from_aws_account.client``)."""


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

    def bound(self, credentials: Any) -> Any:
        """Context: the calling thread's calls through these clients are signed with ``credentials``."""
        return self.credentials.bound(credentials)

    def get(self, session: Any, service: str, region: str, make: MakeClient) -> Any:
        """The shared client of ``session``'s configuration for ``service`` in ``region``.

        Made on first use with ``make``, under a lock: client creation is CPU work under the GIL,
        so serialising it loses nothing, and no client is made twice.
        """
        profile = _profile(session)
        key = (profile, service, region)
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                found = make(self._session(profile), service, region)
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

        from rootwatch.snapshot.from_aws_models import CAPTURE_OPERATIONS, CaptureModelLoader

        session = self._sessions.get(profile)
        if session is None:
            core = botocore_session(CAPTURE_OPERATIONS)
            # Models cut to the operations a capture calls (from_aws_models): these clients make no other call.
            core.register_component("data_loader", CaptureModelLoader(core.get_component("data_loader")))
            core.register_component("credential_provider", _BoundResolver(self.credentials))
            _cache_client_classes(core)
            _share_event_alias_names(core)
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
            key = (service_name, service_model.api_version)
            made = classes.get(key)
            if made is None:
                made = classes[key] = original(self, service_name, service_model)
            return made

        create_client_class.rootwatch_cached = True  # type: ignore[attr-defined]
        creator._create_client_class = create_client_class
    _classes[session.get_component("event_emitter")] = {}


def _share_event_alias_names(session: Any) -> None:
    """Make the clients of ``session`` share one cache of translated event names.

    botocore's ``EventAliaser`` translates every event name a client registers or emits through its
    table of former service names (a loop over the table, splitting the name each time) and keeps
    the answer in a cache of its own; each client's emitter is a fresh copy with an empty cache, so
    every client of a capture translated the same few dozen names again: about 0.3 ms of the
    1.5-2 ms a client costs to make. The answer depends only on the name and the table, which the
    copies share, so this session's emitter becomes a :func:`_sharing_aliaser` whose copies keep
    its cache. Only this emitter changes class (botocore's own class is left as it is: every other
    session, in rootwatch or in a program that imports it, copies as botocore does). An emitter of
    another class, or one without botocore's ``_alias_name_cache``, shares nothing.
    """
    import botocore.hooks

    emitter = session.get_component("event_emitter")
    if type(emitter) is botocore.hooks.EventAliaser and isinstance(getattr(emitter, "_alias_name_cache", None), dict):
        emitter.__class__ = _sharing_aliaser()


@functools.cache
def _sharing_aliaser() -> type:
    """botocore's ``EventAliaser`` whose copies share the original's cache of translated names
    (made on first use, so that importing this module does not import botocore)."""
    import botocore.hooks

    class SharingEventAliaser(botocore.hooks.EventAliaser):  # type: ignore[misc]
        """An event aliaser whose copies (botocore's ``__copy__`` builds them with
        ``self.__class__``, so they are of this class too) keep one cache of translated names."""

        def __copy__(self) -> Any:
            made = super().__copy__()
            made._alias_name_cache = self._alias_name_cache
            return made

    return SharingEventAliaser
