"""Errors of the telephony package (AMI protocol, AMI connection, commands)."""
from hotline.errors import HotlineError


class TelephonyError(HotlineError):
    """Base of the errors the telephony package raises."""


class AmiProtocolError(TelephonyError, ValueError):
    """An AMI action cannot be encoded (e.g. a header value holding a line break)."""


class AmiConnectionError(TelephonyError):
    """The AMI link is down, went down while waiting, or the login was refused."""


class AmiTimeoutError(AmiConnectionError):
    """Asterisk did not answer an action within its time limit."""


class AmiAuthError(AmiConnectionError):
    """Asterisk refused the AMI username/secret."""


class CommandError(TelephonyError):
    """A console command is unknown or its arguments are not acceptable."""


class SpoolError(TelephonyError):
    """The local spool of call records cannot be opened or written (disk full, permissions)."""


class FastAgiLimitError(TelephonyError):
    """A FastAGI peer broke a limit: a line too long, too many environment lines."""


class CdrLineError(TelephonyError, ValueError):
    """A line of Asterisk's CDR file (cdr_csv) is not a record of the expected shape."""
