"""Shipped default outcome models (skops + JSON); a package so wheels include the files."""
