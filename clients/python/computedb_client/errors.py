# SPDX-License-Identifier: MIT
"""Exceptions raised by the computedb client.

Every failure is a ComputeDbError. The upstream database functions logged
and swallowed their errors (a locked file dropped the write, a bad row
emptied a query); here they are raised, with the server's error code, its
message, the offending field and the request id to grep the server log for.

    ComputeDbError               any failure
      AuthError                  401: not signed by a known principal
        ForbiddenError           403: the principal's role is too low
      InvalidError               400, 413, 415: a value was refused
      NotFoundError              404: no such row (only where upstream had no
                                 "absent" answer; get_pog_specs answers None)
      ConflictError              409: e.g. a different W&B run id is stored
      UnavailableError           503, 507, network failures, after the retries
        RateLimitedError         429, after the retries
"""


class ComputeDbError(Exception):
    """A request to computedb failed.

    status      the HTTP status (None when no answer came: network failure)
    code        the server's error code (invalid_argument, unauthenticated,
                forbidden, not_found, conflict, too_many_requests,
                unavailable, ...) or a client code (connection_failed,
                bad_response)
    message     what was wrong (for a 401 the short reason, e.g. bad_signature)
    field       the offending member, path capture or query argument, or None
    request_id  the X-Request-Id the server logged the request under, or None
    hint        for a refused signature, what is wrong and what to do next
                (the server's words), or None
    details     the refusal's other advice, a dict (empty when none):
                "signed" for bad_signature (the message the server verified;
                diff it with the one signed), "server_time_ms", "window_ms"
                and "future_ms" for a timestamp refusal
    """

    def __init__(self, message, status=None, code=None, field=None,
                 request_id=None, hint=None, details=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.request_id = request_id
        self.hint = hint
        self.details = dict(details or {})

    def __str__(self):
        parts = []
        if self.status is not None:
            parts.append(str(self.status))
        if self.code:
            parts.append(self.code)
        text = " ".join(parts)
        text = "%s: %s" % (text, self.message) if text else str(self.message)
        if self.field:
            text += " (field %s)" % self.field
        if self.request_id:
            text += " [request %s]" % self.request_id
        if self.hint:
            text += ": " + self.hint
        return text


class AuthError(ComputeDbError):
    """401: unsigned, badly signed, unknown or expired signer, replayed nonce,
    or a clock outside the server's window (message is the reason code)."""


class ForbiddenError(AuthError):
    """403: the signer is a principal whose role is below the route's."""


class InvalidError(ComputeDbError):
    """400 (a value out of range, an invalid hotkey, an unknown member), 413
    (body too large) or 415. Also raised before sending for values JSON
    cannot carry (NaN, infinities)."""


class NotFoundError(ComputeDbError):
    """404: no such row."""


class ConflictError(ComputeDbError):
    """409: the request conflicts with what is stored."""


class UnavailableError(ComputeDbError):
    """503 (database busy), 507 (disk full) or no answer at all, after the
    client's retries."""


class RateLimitedError(UnavailableError):
    """429: this signer has too many requests in flight in the replay
    window, after the client's retries."""


_BY_STATUS = {
    400: InvalidError,
    401: AuthError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    413: InvalidError,
    415: InvalidError,
    422: InvalidError,
    429: RateLimitedError,
    503: UnavailableError,
    507: UnavailableError,
}


# The members of an error object that advise on a refused signature.
ADVICE = ("signed", "server_time_ms", "window_ms", "future_ms",
          "accept_after_ms")


def error_for(status, code, message, field=None, request_id=None, hint=None,
              details=None):
    """The exception for an error answer."""
    cls = _BY_STATUS.get(status, ComputeDbError)
    return cls(message, status=status, code=code, field=field,
               request_id=request_id, hint=hint, details=details)
