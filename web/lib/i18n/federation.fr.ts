// Catalogue français de la fédération (mêmes clés dans federation.en.ts).
export const federationFr = {
  'federation.host_invalid': 'Nom de serveur invalide (exemple : reseau.exemple.org).',
  'federation.host_own': 'C’est le nom de cette instance.',
  'federation.action_invalid': 'Choisissez : autoriser, limiter ou bloquer.',
  'federation.mode_invalid': 'Choisissez : ouverte, ou seulement les instances autorisées.',
  'federation.lookup_invalid': 'Indiquez un identifiant (@nom@serveur) ou l’adresse d’un profil.',
  'federation.lookup_not_found': 'Aucun compte ni groupe trouvé à cette adresse.',
  'federation.not_federated': 'Cette instance n’échange pas avec ce serveur.',
  'federation.group_requested': 'Demande envoyée au serveur du groupe ({host}) : vous en serez membre dès sa réponse.',
  'federation.remote_badge': 'Sur {host}',
  'federation.remote_profile_link': 'Voir sur son serveur',
  'federation.search_remote': 'Sur un autre serveur',
} as const;
