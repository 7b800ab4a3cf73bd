"""The program that runs on the kiosk itself. No Django here: it must run on the terminal."""
