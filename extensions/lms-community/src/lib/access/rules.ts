import { SCOPED_COLLECTIONS } from './row-filters.js';

/**
 * Roles, the policies they carry, and each policy's collection permissions, as data:
 * `directus community setup` applies it, docs/access.md describes it.
 *
 * Directus 12's Core licence refuses custom permission rules (item filters, field lists, validation,
 * presets: `custom_permission_rules_enabled`), and silently ignores such rows when they exist. So these
 * permissions open whole collections only, and the rows and fields each caller really gets are decided by
 * the bundle's read policy (read-policy.ts, row-filters.ts; docs/security.md), which works the same under any licence.
 */

export type PermissionAction = 'create' | 'read' | 'update' | 'delete';

export interface PermissionRule {
	collection: string;
	action: PermissionAction;
}

export interface PolicyDefinition {
	/** Fixed ids make the setup idempotent even if an admin renames the policy. */
	id: string;
	name: string;
	icon: string;
	description: string;
	app_access: boolean;
	admin_access: false;
	permissions: PermissionRule[];
}

export interface RoleDefinition {
	id: string;
	name: string;
	icon: string;
	description: string;
	policies: string[];
}

const readAll = (collection: string): PermissionRule => ({ collection, action: 'read' });

/**
 * Writes open to members through plain REST; the bundle's hooks decide who may write what (src/lib/rules/).
 * Everything else (joining, moderation, post reactions, views, read markers) goes through /community endpoints.
 */
const WRITES: PermissionRule[] = [
	{ collection: 'community_posts', action: 'create' },
	{ collection: 'community_posts', action: 'update' },
	{ collection: 'community_messages', action: 'create' },
	{ collection: 'community_messages', action: 'update' },
	{ collection: 'community_members', action: 'update' },
	{ collection: 'community_groups', action: 'update' },
	{ collection: 'community_reports', action: 'create' },
	{ collection: 'community_message_reactions', action: 'create' },
	{ collection: 'community_message_reactions', action: 'delete' },
];

export const MEMBER_POLICY: PolicyDefinition = {
	id: '6f1d3c2a-7b4e-4c1a-9a51-0c0b3e6d1a01',
	name: 'Community member',
	icon: 'forum',
	description:
		'Course communities for students and instructors; rows are scoped by the lms-community bundle (managed by directus community setup)',
	app_access: false,
	admin_access: false,
	permissions: [...SCOPED_COLLECTIONS.map(readAll), readAll('directus_users'), ...WRITES],
};

export const INSTRUCTOR_POLICY: PolicyDefinition = {
	id: '6f1d3c2a-7b4e-4c1a-9a51-0c0b3e6d1a02',
	name: 'Community instructor',
	icon: 'school',
	description: 'Admin-app access for course instructors (managed by directus community setup)',
	app_access: true,
	admin_access: false,
	permissions: [],
};

export const POLICIES: PolicyDefinition[] = [MEMBER_POLICY, INSTRUCTOR_POLICY];

export const STUDENT_ROLE_ID = '0b9a4f6e-2d1c-4e8b-8f3a-5d7c9e1b2a01';
export const INSTRUCTOR_ROLE_ID = '0b9a4f6e-2d1c-4e8b-8f3a-5d7c9e1b2a02';

export const ROLES: RoleDefinition[] = [
	{
		id: STUDENT_ROLE_ID,
		name: 'Student',
		icon: 'person',
		description: 'Learners: course communities through the mobile app and REST',
		policies: [MEMBER_POLICY.id],
	},
	{
		id: INSTRUCTOR_ROLE_ID,
		name: 'Instructor',
		icon: 'school',
		description: 'Teachers: course communities and moderation, in the admin app too',
		policies: [MEMBER_POLICY.id, INSTRUCTOR_POLICY.id],
	},
];
