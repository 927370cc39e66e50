// English catalog of chat (same keys as chat.fr.ts).
import type { chatFr } from './chat.fr.ts';

export const chatEn: Record<keyof typeof chatFr, string> = {
  'chat.room_unknown': 'This conversation does not exist, or you have no access to it.',
  'chat.member_unknown': 'This member cannot be found.',
  'chat.message_unknown': 'This message cannot be found.',
  'chat.client_id_invalid': 'Invalid message id: reload the page.',
  'chat.message_empty': 'Write a message.',
  'chat.message_too_long': 'Message too long (4,000 characters at most).',
  'chat.cursor_invalid': 'Invalid position in the conversation.',
  'chat.sync_invalid': 'Invalid synchronisation request.',
  'chat.reaction_invalid': 'Unknown reaction.',
  'chat.name_required': 'Give a name.',
  'chat.name_too_long': 'Name too long (80 characters at most).',
  'chat.members_invalid': 'Choose at least one person.',
  'chat.members_friends_only': 'You can only add your friends.',
  'chat.too_many_members': 'A conversation has {max} people at most.',
  'chat.not_yourself': 'You cannot message yourself.',
  'chat.direct_not_allowed': 'This member only receives messages from friends.',
  'chat.not_allowed': 'You cannot do this in this conversation.',
  'chat.organizers_only': 'For the group’s organizers only.',
  'chat.too_many_channels': 'This group already has the most channels allowed.',
  'chat.main_room_fixed': 'The group’s main room cannot be renamed or deleted.',
  'chat.read_only': 'This channel is for the organizers’ announcements.',
  'chat.not_author': 'Only the author can change this message.',
  'chat.message_deleted': 'This message was deleted.',
  'chat.search_too_short': 'Search at least two letters.',
};
