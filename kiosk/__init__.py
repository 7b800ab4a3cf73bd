"""KIT kiosk program: runs on the terminal, talks to the platform only over the signed terminal API."""

__version__ = "0.2.0"
