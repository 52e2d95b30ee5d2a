"""clinic_app: offline register for village doctors' family-doctor contracts and follow-ups."""

__version__ = "0.1.0"
