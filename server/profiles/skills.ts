// The fixed list of skills (as on Action Populaire's profile form), each translated through the
// catalog key `skill.<id>`; members may add free keywords beside them.
export const SKILLS = [
  'graphic_design', 'legal', 'it', 'driving', 'translation', 'photography', 'video', 'writing', 'public_speaking',
  'social_media', 'accounting', 'first_aid', 'sound_light', 'training', 'music', 'catering', 'handiwork',
  'sign_language', 'childcare', 'event_organizing',
] as const;

export type Skill = (typeof SKILLS)[number];
export const MAX_SKILL_TAGS = 10;
export const MAX_SKILL_TAG_LENGTH = 30;

export function isSkill(value: unknown): value is Skill {
  return typeof value === 'string' && (SKILLS as readonly string[]).includes(value);
}
