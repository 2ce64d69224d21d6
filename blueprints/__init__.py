"""Thin HTTP layers: parse, authorise, call one service, render."""
