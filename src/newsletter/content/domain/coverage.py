"""Language coverage: which language version of a campaign each part of its audience reads.

A member reads the first language of their fallback chain the campaign is written in
(:meth:`CampaignDefinition.variant_for`): their own, its script twin (Serbian Cyrillic and
Latin), a ``fallbacks:`` choice, else the default language. Staff see, per version, how many
read it and who among them falls back to it from which language; a sizable group falling back
is a warning before sending (``campaigns validate`` and the campaign page), never an error:
sending a Romanian reader the English version may be exactly what was meant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from newsletter.content.domain.campaigns import CampaignDefinition

#: A fallback group is "sizable" from this share of the audience ...
SIZABLE_SHARE = 0.05
#: ... and this many readers (five readers of a 60-member list are not worth a warning).
SIZABLE_READERS = 10


@dataclass(frozen=True, slots=True)
class VersionCoverage:
    """One language version: how many read it, and who reads it in place of their own."""

    version: str
    readers: int
    #: member language -> readers of that language who get this version instead
    fallbacks: dict[str, int] = field(default_factory=dict)

    @property
    def own(self) -> int:
        return self.readers - sum(self.fallbacks.values())


def coverage(campaign: CampaignDefinition, by_language: Mapping[str, int]) -> list[VersionCoverage]:
    """Every version of ``campaign`` (its languages, in order) with its readers, from the
    audience counted per member language. A member without a language reads the default."""
    readers = dict.fromkeys(campaign.languages, 0)
    fallbacks: dict[str, dict[str, int]] = {lang: {} for lang in campaign.languages}
    for language, count in sorted(by_language.items()):
        if count <= 0:
            continue
        # The chain ends in the default language, which every campaign is written in.
        version = campaign.variant_for(language) if language else campaign.default_language
        readers[version] += count
        if version != language:
            key = language or "(none)"
            fallbacks[version][key] = fallbacks[version].get(key, 0) + count
    return [VersionCoverage(v, readers[v], fallbacks[v]) for v in campaign.languages]


def fallback_warnings(versions: list[VersionCoverage]) -> list[str]:
    """One warning per sizable group reading another language's version than their own."""
    total = sum(v.readers for v in versions)
    warnings = []
    for v in versions:
        for language, count in sorted(v.fallbacks.items(), key=lambda kv: (-kv[1], kv[0])):
            if count >= SIZABLE_READERS and count >= SIZABLE_SHARE * total:
                warnings.append(
                    f"{count} of {total} readers ({count / total:.0%}) read {language} but get "
                    f"the {v.version} version (add {language} to the campaign's languages to "
                    "write one for them)"
                )
    return warnings
