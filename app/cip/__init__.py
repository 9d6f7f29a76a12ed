"""Cataloguing in publication (CIP): the block printed on a book's verso, and its workflow."""
