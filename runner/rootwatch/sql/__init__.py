"""The SQL pipeline: parse once, bind variables and pin the clock in the tree, emit per engine."""
