-- Custom migration (drizzle-kit generate --custom): the default vocabularies of events, which
-- the administrator can then rename, reorder, archive or extend (admin page "Actions").
-- Kinds list the counters their field report asks for.
INSERT INTO "event_vocab" ("vocabulary", "key", "label_fr", "label_en", "metrics", "position") VALUES
  ('kind', 'leafleting', 'Tractage', 'Leafleting', '["leaflets","people"]', 0),
  ('kind', 'door_to_door', 'Porte-à-porte', 'Door-to-door canvassing', '["doors","people","leaflets"]', 1),
  ('kind', 'meeting', 'Réunion', 'Meeting', '[]', 2),
  ('kind', 'rally', 'Rassemblement, manifestation', 'Rally, demonstration', '["leaflets","people"]', 3),
  ('kind', 'poster_run', 'Collage d''affiches', 'Poster run', '[]', 4),
  ('kind', 'training', 'Formation', 'Training', '[]', 5),
  ('kind', 'debate', 'Débat public', 'Public debate', '["people"]', 6),
  ('kind', 'festive', 'Moment festif', 'Festive event', '["people"]', 7),
  ('kind', 'online_meeting', 'Réunion en ligne', 'Online meeting', '[]', 8),
  ('kind', 'other', 'Autre action', 'Other action', '["people"]', 9),
  ('concern', 'cost_of_living', 'Vie chère, pouvoir d''achat', 'Cost of living', '[]', 0),
  ('concern', 'public_services', 'Services publics', 'Public services', '[]', 1),
  ('concern', 'housing', 'Logement', 'Housing', '[]', 2),
  ('concern', 'work', 'Travail, emploi, salaires', 'Work, jobs, wages', '[]', 3),
  ('concern', 'environment', 'Environnement, climat', 'Environment, climate', '[]', 4),
  ('concern', 'security', 'Sécurité', 'Security', '[]', 5),
  ('concern', 'health', 'Santé', 'Health', '[]', 6),
  ('concern', 'education', 'École, éducation', 'Schools, education', '[]', 7),
  ('concern', 'transport', 'Transports', 'Transport', '[]', 8),
  ('concern', 'pensions', 'Retraites', 'Pensions', '[]', 9),
  ('concern', 'democracy', 'Démocratie, institutions', 'Democracy, institutions', '[]', 10),
  ('concern', 'discrimination', 'Discriminations', 'Discrimination', '[]', 11);
