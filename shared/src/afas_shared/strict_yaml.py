"""YAML data files (forms, controls, barèmes, payment policies) read strictly: safe types only, and a key repeated
in a mapping is an error — PyYAML would silently keep the last one, and a barème would lose a year."""

from __future__ import annotations

import yaml


class StrictLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(key_node, deep=deep) for key_node, _ in node.value]
        for index, key in enumerate(keys):
            if key in keys[:index]:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", node.value[index][0].start_mark
                )
        return super().construct_mapping(node, deep=deep)
